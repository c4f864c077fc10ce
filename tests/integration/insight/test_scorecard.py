"""The account-manager scorecard: figures of a hand-built month, the ranking under the default
weights and under the policy in force at the period, who sees which cards."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from insight.scorecard import Period, scorecard
from insight.scorecard_measure import scorecard_backfill, scorecard_take
from insight.scorecard_models import ScorecardMonth
from insight.scorecard_scope import scorecard_scope
from loans.choices import ReturnReason
from loans.models import Loan
from loans.models.policy import default_scorecard_weights
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.integration.insight.data import held
from tests.integration.insight.scorecard_data import LOCAL, MEASURED_AT, build_month, disbursed
from workflow.engine import perform_transition
from workflow.models import Timer
from workflow.timers import sweep

pytestmark = pytest.mark.django_db
D = Decimal
SEPTEMBER = Period(date(2026, 9, 1), 1)


@pytest.fixture
def careful(branch):
    return factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="careful")


@pytest.fixture
def month(manager, careful, product):
    with time_machine.travel(MEASURED_AT, tick=False):
        loans = build_month(manager, careful, product)
        scorecard_take()
    return loans


def _card(card_set, user):
    return next(card for card in card_set.cards if card.manager == user)


def test_the_month_is_measured_from_the_records(manager, careful, month):
    busy = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    other = ScorecardMonth.objects.get(manager=careful, month=SEPTEMBER.start)

    assert (busy.disbursed_count, busy.disbursed_amount) == (4, D(2_000_000))
    assert busy.cycle_days == [10, 12, 14, 20]
    assert (busy.handled_count, busy.deviations_high, busy.downgrades) == (4, 2, 2)
    assert (busy.book_count, busy.book_balance, busy.non_performing_balance) == (
        4,
        D(1_600_000),
        D(800_000),
    )
    assert (other.disbursed_count, other.disbursed_amount, other.cycle_days) == (
        2,
        D(800_000),
        [8, 10],
    )
    assert (other.deviations_high, other.downgrades, other.non_performing_balance) == (0, 0, 0)


def test_the_high_volume_manager_with_bad_loans_ranks_below_the_careful_one(
    head, manager, careful, month
):
    with time_machine.travel(MEASURED_AT, tick=False):
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    busy, other = _card(cards, manager), _card(cards, careful)
    assert [card.manager for card in cards.cards] == [careful, manager]
    assert busy.totals.median_cycle_days == 13
    assert busy.totals.non_performing_share == D("0.5")
    assert busy.factor("volume").contribution == D(20)  # the most volume: all of its weight
    assert other.factor("volume").contribution == D(8)  # 800,000 of 2,000,000
    assert busy.factor("non_performing").contribution == 0
    assert busy.factor("deviations").contribution == D("7.50")  # 2 high on 4 loans
    assert busy.composite == D("71.92")
    assert other.composite == D(88)
    assert cards.weights == default_scorecard_weights()


def test_the_weights_are_those_of_the_policy_in_force_at_the_period(head, manager, careful, month):
    volume_only = dict.fromkeys(default_scorecard_weights(), 0) | {"volume": 100}
    factories.PolicyVersionFactory(
        version="volume-from-october",
        effective_from=datetime(2026, 10, 1, tzinfo=LOCAL),
        scorecard_weights=volume_only,
    )
    with time_machine.travel(datetime(2026, 10, 2, 12, tzinfo=LOCAL), tick=False):
        september = scorecard(scorecard_scope(head), SEPTEMBER)
        quarter = scorecard(scorecard_scope(head), Period(SEPTEMBER.start.replace(month=7), 3))
        october = scorecard(scorecard_scope(head), Period(date(2026, 10, 1), 1))

    assert september.policy.version != "volume-from-october"
    assert [c.manager for c in september.cards] == [careful, manager]
    assert [c.manager for c in quarter.cards] == [careful, manager]  # Q3 ends before October
    assert october.policy.version == "volume-from-october"


def test_a_manager_sees_only_their_own_card(manager, careful, month):
    with time_machine.travel(MEASURED_AT, tick=False):
        own = scorecard(scorecard_scope(manager), SEPTEMBER)

    assert [card.manager for card in own.cards] == [manager]
    # Still scored against the whole office: the volume of the best manager is theirs.
    assert own.cards[0].composite == D("71.92")


def test_the_backfill_reproduces_the_live_month(manager, careful, month):
    live = {row.manager_id: row for row in ScorecardMonth.objects.filter(month=SEPTEMBER.start)}
    ScorecardMonth.objects.all().delete()
    with time_machine.travel(MEASURED_AT, tick=False):
        scorecard_backfill(since=SEPTEMBER.start, until=SEPTEMBER.start)

    for row in ScorecardMonth.objects.filter(month=SEPTEMBER.start):
        before = live[row.manager_id]
        for name in (
            "disbursed_amount",
            "cycle_days",
            "deviations_high",
            "downgrades",
            "book_count",
            "book_balance",
            "non_performing_balance",
        ):
            assert getattr(row, name) == getattr(before, name), name


def test_a_manager_with_nothing_to_measure_scores_nothing(head, branch, manager, careful, month):
    idle = factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="idle")
    with time_machine.travel(MEASURED_AT, tick=False):
        scorecard_take()
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    assert cards.cards[-1].manager == idle
    assert cards.cards[-1].composite == 0


def test_returns_sla_breaches_and_inspections_are_counted(manager, reviewer, product):
    loan_type = ContentType.objects.get_for_model(Loan)
    with time_machine.travel(MEASURED_AT, tick=False):
        returned = held(manager, product, state=LoanState.REVIEW)
        perform_transition(
            returned,
            "return_to_site_visit",
            actor=reviewer,
            payload={"reason": ReturnReason.values[0], "comment": "Two photos missing."},
        )
        Loan.objects.filter(pk=returned.pk).update(
            state=LoanState.POST_LOAN, disbursed_at=MEASURED_AT - timedelta(hours=1)
        )
        kept = disbursed(manager, product, on_day=10, cycle_days=5, amount=90_000, balance=90_000)

        def timer(kind, stage, due_day, **fields):
            due = datetime(2026, 9, due_day, 9, tzinfo=LOCAL)
            return Timer.objects.create(
                content_type=loan_type,
                object_id=kept.pk,
                kind=kind,
                stage=stage,
                started_at=due - timedelta(days=10),
                due_at=due,
                **fields,
            )

        timer(
            Timer.Kind.STAGE, "site_visit", 11, next_action_at=datetime(2026, 9, 11, tzinfo=LOCAL)
        )
        timer(
            Timer.Kind.INSPECTION, "post_loan", 20, stopped_at=datetime(2026, 9, 18, tzinfo=LOCAL)
        )
        timer(
            Timer.Kind.INSPECTION,
            "post_loan",
            22,
            next_action_at=datetime(2026, 9, 22, tzinfo=LOCAL),
        )
        timer(Timer.Kind.INSPECTION, "post_loan", 29)  # not yet due
        sweep()
        scorecard_take()

    row = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    assert (row.disbursed_count, row.returned_count) == (2, 1)
    assert row.sla_breaches == 1
    assert (row.inspections_due, row.inspections_on_time) == (2, 1)
    assert (row.deviations_high, row.deviations_medium) == (0, 0)  # lateness is counted apart


def test_the_hourly_task_is_scheduled_and_measures(settings, manager):
    from insight.tasks import measure_scorecard

    entry = settings.CELERY_BEAT_SCHEDULE["measure-scorecard"]
    assert entry["task"] == measure_scorecard.name
    assert measure_scorecard.name in settings.SCHEDULER_PERIODIC_TASKS
    assert measure_scorecard() == ScorecardMonth.objects.count() >= 1
