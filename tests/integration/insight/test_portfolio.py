"""Insight's portfolio structure: figures of a hand-built portfolio whose answer is known, the
daily snapshot's idempotence, the backfill from the audit trail against the live task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from insight.models import PortfolioSnapshot
from insight.scope import scope_for
from insight.snapshots import snapshot_backfill, snapshot_take
from insight.structure import Status, portfolio_structure
from loans import services
from loans.choices import GuaranteeType, Industry
from loans.journeys import act, advance
from loans.models import Loan
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.integration.insight.data import held

pytestmark = pytest.mark.django_db
D = Decimal


def shares(structure, dimension):
    return {
        row.key: (row.balance, row.count, row.share, row.status)
        for row in structure.breakdown(dimension).rows
    }


def test_balances_and_shares_by_industry_are_those_of_the_loans_in_post_loan(
    portfolio, head, policy
):
    snapshot_take()
    structure = portfolio_structure(scope_for(head), policy)

    assert structure.balance == D(1_000_000)
    assert structure.count == 4
    assert shares(structure, "industry") == {
        "F": (D(650_000), 2, D("0.65"), Status.NEAR),  # 0.65 ≥ 90 % of 0.70
        "C": (D(200_000), 1, D("0.2"), Status.OK),
        "A": (D(150_000), 1, D("0.15"), Status.OK),
    }
    assert shares(structure, "term")["upto12"][:2] == (D(550_000), 2)
    assert shares(structure, "amount")["100kto500k"][:2] == (D(600_000), 3)
    assert shares(structure, "office") == {str(head.branch_id): (D(1_000_000), 4, D(1), None)}


def test_each_limit_shows_its_largest_share_ok_near_or_over(portfolio, head, policy):
    snapshot_take()
    structure = portfolio_structure(scope_for(head), policy)

    limits = {
        limit.dimension: (limit.largest.key, limit.share, limit.status)
        for limit in structure.limits
    }
    assert limits == {
        "industry": ("F", D("0.65"), Status.NEAR),
        "guarantee_type": (GuaranteeType.GUARANTEE, D("0.6"), Status.OVER),
        "group": ("Chen family", D("0.2"), Status.OK),
    }
    assert structure.limits_assessed


def test_non_performing_and_special_mention_ratios(portfolio, head, policy):
    snapshot_take()
    structure = portfolio_structure(scope_for(head), policy)

    assert structure.npl_ratio == D("0.35")  # substandard 200,000 + loss 150,000
    assert structure.special_mention_ratio == D("0.25")


def test_the_tree_adds_up_its_offices_and_an_office_alone_is_its_own(
    portfolio, branch, head, product, policy
):
    sub = factories.BranchFactory(code="B01-1", name="Market Street office", parent=branch)
    sub_manager = factories.staff(Role.ACCOUNT_MANAGER, branch=sub, username="manager5")
    held(
        sub_manager,
        product,
        industry=Industry.H,
        outstanding_balance=D(1_000_000),
        guarantee_type=GuaranteeType.CREDIT,
    )
    snapshot_take()

    tree = portfolio_structure(scope_for(head, tree=True), policy)
    own = portfolio_structure(scope_for(head, office_id=sub.pk, tree=False), policy)

    assert tree.balance == D(2_000_000)
    assert shares(tree, "industry")["H"][2] == D("0.5")
    assert set(shares(tree, "office")) == {str(branch.pk), str(sub.pk)}
    assert own.balance == D(1_000_000)
    assert shares(own, "industry") == {"H": (D(1_000_000), 1, D(1), Status.OVER)}


def test_snapshot_twice_a_day_changes_nothing(portfolio, branch, other_branch):
    snapshot_take()
    first = list(PortfolioSnapshot.objects.order_by("pk").values())
    snapshot_take()

    assert list(PortfolioSnapshot.objects.order_by("pk").values()) == first
    assert len(first) == 2  # one row per office, the other branch's empty


def _rows():
    return sorted(
        PortfolioSnapshot.objects.values_list(
            "branch_id", "day", "balance", "loan_count", "figures"
        )
    )


def test_backfill_reproduces_what_the_live_task_wrote_day_by_day(cast, product, branch):
    """A loan disbursed on day 1, repaid in part on day 2 and downgraded on day 3: the backfill
    of the three days from its audit events equals the live task's snapshot of each evening."""
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with time_machine.travel(start, tick=True):
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        disbursed = advance(loan, LoanState.POST_LOAN, cast)
        snapshot_take()
    with time_machine.travel(start + timedelta(days=1), tick=True):
        act(disbursed, "repayment_record", cast.officer, principal=D(30_000))
        snapshot_take()
    with time_machine.travel(start + timedelta(days=2), tick=True):
        services.days_past_due_update(loan=disbursed, days_past_due=95)
        snapshot_take()
    live = _rows()
    PortfolioSnapshot.objects.all().delete()

    days = [timezone.localdate(start) + timedelta(days=n) for n in range(3)]
    snapshot_backfill(since=days[0], until=days[-1])

    assert _rows() == live
    # the repayment paid the running month's interest first, the rest of it principal
    left = Loan.objects.get(pk=disbursed.pk).outstanding_balance
    assert D(50_000) < left < D(51_000)
    balances = [row[2] for row in live if row[0] == branch.pk]
    assert balances == [D(80_000), left, left]
    assert live[-1][4]["risk_class"] == {"3": [f"{left:.2f}", 1]}


def test_backfill_command_over_days_the_live_task_wrote_changes_nothing(loan, cast):
    advance(loan, LoanState.POST_LOAN, cast)
    snapshot_take()
    live = list(PortfolioSnapshot.objects.order_by("pk").values())

    call_command("backfill_portfolio", days=3)

    today = [
        row
        for row in PortfolioSnapshot.objects.order_by("pk").values()
        if row["day"] == timezone.localdate()
    ]
    assert today == live
    assert PortfolioSnapshot.objects.count() == 3 * len(live)


def test_beat_and_the_demo_scheduler_take_todays_snapshot(portfolio, settings):
    from insight.tasks import snapshot_portfolio
    from workflow.management.commands.run_scheduler import Command

    entry = settings.CELERY_BEAT_SCHEDULE["snapshot-portfolio"]
    assert entry["task"] == snapshot_portfolio.name
    Command()._run_periodic({entry["task"]: 0.0})

    today = PortfolioSnapshot.objects.get(branch__code="B01", day=timezone.localdate())
    assert today.balance == D(1_000_000)
    assert snapshot_portfolio() == PortfolioSnapshot.objects.count()
