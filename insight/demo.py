"""A year of portfolio history for the demo, so a newcomer's dashboard shows trends.

Some two dozen loans are taken through the engine at past moments (the clock moved with
time-machine, a development dependency the demo installs): disbursed over the last year, repaid
month by month, inspected on time, a few falling behind. Their audit trails are real, so
``snapshot_backfill`` rebuilds each day of the year from them, as it would for a real branch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from insight.models import PortfolioSnapshot
from insight.scorecard_measure import scorecard_backfill
from insight.snapshots import snapshot_backfill, snapshot_take
from loans import services
from loans.choices import (
    BorrowerKind,
    GuaranteeType,
    Industry,
    InspectionKind,
    InspectionMode,
    RepaymentMethod,
)
from loans.journeys import Cast, act, advance
from loans.models import Branch, Loan, LoanProduct, User
from loans.states import LoanState
from loans.validators import resident_id_check_character
from workflow.engine import perform_transition
from workflow.models import Channel

SEED = 4754
CREDIT_STATES = (LoanState.REVIEW, LoanState.APPROVAL, LoanState.DISBURSEMENT, LoanState.POST_LOAN)
HISTORY_DAYS = 365
LOANS = 16
STEP_DAYS = 60  # a visit every two months: an inspection and two instalments
TERMS = (12, 12, 24, 36)
PURPOSE = "Working capital for the shop"
# The history's borrowers' trades (the demo's own loans already lean on wholesale and retail).
INDUSTRIES = (Industry.A, Industry.A, Industry.C, Industry.E, Industry.G, Industry.H, Industry.O)
NAMES = ("周建华", "吴秀英", "郑国强", "孙丽娟", "马志刚", "胡春燕", "郭海峰", "何玉兰")


def _at(day: datetime, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time(hour)))


def load_portfolio_history(*, seed: int = SEED) -> int:
    """Make the history and backfill a year of snapshots; 0 (changing nothing) when there is
    history already. Returns the snapshot rows written."""
    import time_machine  # a development dependency, like the demo itself

    if PortfolioSnapshot.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    people = {u.username: u for u in User.objects.filter(branch__isnull=False)}
    managers = [people[name] for name in ("manager1", "manager2")]
    products = [p for p in LoanProduct.objects.filter(active=True) if p.max_term_months >= 12]
    branch = Branch.objects.get(code="B01")
    today = timezone.localtime()
    for n in range(LOANS):
        # manager1 sells two loans in three and every one that falls behind, and answers their
        # warnings late; manager2 fewer, all repaid: the scorecard ranks the careful one first
        # (insight/scorecard.py).
        manager = managers[0] if n % 4 == 1 or n % 3 != 2 else managers[1]
        cast = Cast(
            manager=manager,
            co_investigator=next(m for m in managers if m != manager),
            reviewer=people["reviewer1"],
            approver=people["approver3"],
            officer=people["officer1"],
        )
        # Spread over the year, the oldest first; every fourth loan falls behind.
        start = today - timedelta(days=20 + (HISTORY_DAYS - 30) * (LOANS - n) // LOANS)
        with time_machine.travel(_at(start, 9), tick=True):
            product = rng.choice(products)
            amount = min(Decimal(rng.randrange(30_000, 150_001, 10_000)), product.max_amount)
            term = min(rng.choice(TERMS), product.max_term_months)
            guarantees = [GuaranteeType.MORTGAGE, GuaranteeType.PLEDGE]
            if not product.collateral_required:
                guarantees += [GuaranteeType.CREDIT, GuaranteeType.GUARANTEE] * 2
            body = f"330782{1970 + n:04d}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{n % 9 + 1:03d}"
            borrower = services.borrower_create(
                branch_id=branch.pk,
                kind=BorrowerKind.INDIVIDUAL,
                name=NAMES[n % len(NAMES)],
                id_number=body + resident_id_check_character(body),
                address="义乌市稠城街道",
                industry=_least_held("industry", INDUSTRIES),
            )
            loan = services.loan_create(
                borrower=borrower,
                account_manager=manager,
                product=product,
                amount=max(amount, product.min_amount),
                term_months=term,
                purpose=PURPOSE,
                repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
                guarantee_type=_least_held("guarantee_type", guarantees),
            )
            loan = advance(loan, LoanState.POST_LOAN, cast)
        _service(loan, cast, start, today, behind_from=2 if n % 4 == 1 else None)
    written = snapshot_backfill(
        since=timezone.localdate() - timedelta(days=HISTORY_DAYS), until=timezone.localdate()
    )
    snapshot_take()
    scorecard_backfill(
        since=timezone.localdate() - timedelta(days=HISTORY_DAYS), until=today.date()
    )
    return written


def _least_held(field: str, choices: Sequence[str]) -> str:
    """Of ``choices``, the one the branch's credit holds least of: the history's loans keep
    within the policy's concentration limits, as a careful branch would."""
    held = dict(
        Loan.objects.filter(branch__code="B01", state__in=CREDIT_STATES)
        .values_list(field)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return min(choices, key=lambda choice: (held.get(choice) or 0, choices.index(choice)))


def _service(
    loan: Loan, cast: Cast, start: datetime, today: datetime, *, behind_from: int | None
) -> None:
    """Every two months from ``start``: an inspection and two instalments; a few loans fall
    behind instead, and are classified down by their days past due."""
    import time_machine

    amount, term = loan.amount or Decimal(0), loan.term_months or 12
    instalment = (2 * amount / term).quantize(Decimal("0.01"))
    visit = 1
    while (moment := start + timedelta(days=STEP_DAYS * visit)) < today - timedelta(days=1):
        with time_machine.travel(_at(moment, 10), tick=True):
            act(
                loan,
                "inspection_record",
                loan.account_manager,
                kind=InspectionKind.FIRST if visit == 1 else InspectionKind.ROUTINE,
                mode=InspectionMode.ON_SITE,
                inspected_at=timezone.now(),
                findings="Shop open, stock as stated.",
                funds_used_as_stated=True,
            )
            if behind_from is not None and visit >= behind_from:
                _answered_late(loan)
                services.days_past_due_update(
                    loan=loan, days_past_due=STEP_DAYS * (visit - behind_from + 1)
                )
                _warned(loan, ("days_past_due_update", "classification_floor_apply"))
            elif loan.outstanding_balance > instalment:
                act(loan, "repayment_record", cast.officer, principal=instalment)
                loan.refresh_from_db()
        visit += 1


ANSWER = "Visited the borrower about the arrears; a repayment plan is being discussed."


def _warned(loan: Loan, steps: Sequence[str]) -> None:
    """What the outbox relay does after each of ``steps`` (``watch.tasks.evaluate_after_step``):
    the history runs no relay while it moves the clock, so its warnings open when they arose."""
    from watch.rules import signals_after
    from watch.services import signals_evaluate

    signals = {signal.code: signal for step in steps for signal in signals_after(step)}
    signals_evaluate(signals=list(signals.values()), loan_ids=[loan.pk])


def _answered_late(loan: Loan) -> None:
    """The loan's warnings answered at the next visit, weeks past their SLA: the manager whose
    loans fall behind is late on the watch-list too (the scorecard's watch-list factor)."""
    from watch.models import WatchItem
    from watch.states import ItemState

    for item in WatchItem.objects.filter(loan=loan, state=ItemState.OPEN).order_by("pk"):
        perform_transition(
            item,
            "resolve",
            actor=loan.account_manager,
            payload={"note": ANSWER},
            channel=Channel.WEB,
        )
