"""Days past due and the classification floors they set: the writes of the post-loan actions
declared in loans/workflow.py (``days_past_due_update``, ``classification_floor_apply``,
``overdue_mark_technical``, ``restructuring_record``), and the daily sweep that applies the floor
of a non-retail borrower's claims (``borrower_floors_apply``).

Each function is called by the engine only, inside its transaction, holding the loan's row lock,
after every check of its action passed. A function that finds nothing to change returns
``UNCHANGED``: the step is done and no audit event is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, Sum

from loans.checks.facts import BORROWER_CLAIMS, borrower_floor
from loans.choices import BorrowerKind, RiskClass
from loans.classification import (
    BORROWER_FLOOR,
    NON_RETAIL_SHARE,
    effective_floor,
    under_observation,
)
from loans.models import Loan
from loans.services.post_loan import (
    CLASSIFIED,
    classify,
    inspections_reschedule,
    reschedule_inspection,
)
from loans.states import LoanState
from workflow.actions import UNCHANGED, perform_action
from workflow.batch import update_rows
from workflow.checks import CheckContext
from workflow.definition import reads_facts
from workflow.models import Channel

logger = logging.getLogger(__name__)

# The audit's cause of a class raised by the borrower's other claims
# (classification.non-retail-share).
BORROWER_SHARE_CAUSE = "borrower_non_performing_share"


def days_past_due_update(ctx: CheckContext) -> Any:
    """Record the days past due (see ``days_past_due_set``)."""
    changed = days_past_due_set(ctx, ctx.payload["days_past_due"])
    if not changed:
        return UNCHANGED
    ctx.obj.save(update_fields=changed)
    return None


def days_past_due_set(ctx: CheckContext, days: int) -> list[str]:
    """Set the loan's days past due (unsaved); return the fields changed, none for the same
    figure. The end of an overdue ends its technical mark; new arrears of a restructured loan
    under observation restart the observation."""
    loan: Loan = ctx.obj
    before = loan.days_past_due
    if days == before:
        return []
    loan.days_past_due = days
    changed = ["days_past_due"]
    ctx.audit["days_past_due_before"] = before
    if days == 0 and loan.overdue_technical:
        loan.overdue_technical = False
        changed.append("overdue_technical")
        ctx.audit["technical_overdue_ended"] = True
    if before == 0 and days > 0 and under_observation(loan, ctx.policy, ctx.now):
        loan.observed_since = ctx.now
        changed.append("observed_since")
        ctx.audit["observation_restarted"] = True
    return changed


@reads_facts(*BORROWER_CLAIMS)
def classification_floor_apply(ctx: CheckContext) -> Any:
    """The system's downgrade: raise the class to its floor and inspect the loan at the interval
    of its new class. Arrears repaid do not improve the class by themselves (an upgrade is
    proposed and confirmed by two people). A class raised only by the borrower's other claims
    (a non-retail borrower more than 10 % non-performing) is marked so."""
    if not _classified(ctx, save=True):
        return UNCHANGED
    reschedule_inspection(ctx.obj)
    return None


def classification_floor_apply_many(contexts: Sequence[CheckContext]) -> list[Any]:
    """``classification_floor_apply`` for a batch of loans (workflow/batch.py): the classes
    raised saved in one statement, the inspections rescheduled together."""
    raised = [ctx for ctx in contexts if _classified(ctx, save=False)]
    update_rows([ctx.obj for ctx in raised], CLASSIFIED)
    if raised:
        inspections_reschedule([ctx.obj for ctx in raised], raised[0].now)
    done = {id(ctx) for ctx in raised}
    return [None if id(ctx) in done else UNCHANGED for ctx in contexts]


def _classified(ctx: CheckContext, *, save: bool) -> bool:
    """Raise the loan's class to its floor (saved when ``save``); whether it was raised."""
    loan: Loan = ctx.obj
    own = effective_floor(loan, ctx.policy, ctx.now)
    by_borrower = _borrower_floor(ctx)
    floor = max(own, by_borrower)
    if floor <= loan.risk_class:
        return False
    cause = BORROWER_SHARE_CAUSE if by_borrower > own else ctx.payload.get("cause", "")
    ctx.audit["classified"] = classify(
        loan, RiskClass(floor), cause=cause, by_borrower=by_borrower > own, save=save
    )
    return True


def floor_raises(ctx: CheckContext) -> bool:
    """Whether ``classification_floor_apply`` would raise the loan's class now (it writes
    nothing otherwise): a file's loans are given the system's step only then (loans/feed/)."""
    loan: Loan = ctx.obj
    floor = max(effective_floor(loan, ctx.policy, ctx.now), _borrower_floor(ctx))
    return bool(floor > loan.risk_class)


def _borrower_floor(ctx: CheckContext) -> RiskClass:
    """The floor of the borrower's other claims; an individual's set none (nothing read)."""
    if ctx.obj.borrower.kind == BorrowerKind.INDIVIDUAL:
        return RiskClass.NORMAL
    return borrower_floor(ctx)


def overdue_mark_technical(ctx: CheckContext) -> Any:
    """A reviewer marks the current overdue as the bank's own doing: it sets no floor."""
    loan: Loan = ctx.obj
    loan.overdue_technical = True
    loan.save(update_fields=["overdue_technical"])
    ctx.audit["days_past_due"] = loan.days_past_due
    return None


def restructuring_record(ctx: CheckContext) -> Any:
    """Record that the loan was restructured: its observation period starts."""
    loan: Loan = ctx.obj
    loan.restructured_at = ctx.payload["restructured_at"]
    loan.observed_since = loan.restructured_at
    loan.save(update_fields=["restructured_at", "observed_since"])
    return None


def borrower_floors_apply() -> int:
    """The daily sweep of ``classification.non-retail-share``: the system's floor applied, each
    through the engine in its own transaction, to every performing loan of a non-retail borrower
    more than 10 % of whose claims are non-performing on their own. The engine decides under the
    loan's lock; the selection here only finds the candidates. Idempotent. Returns how many loans
    were raised."""
    claims = Loan.objects.filter(state=LoanState.POST_LOAN).exclude(
        borrower__kind=BorrowerKind.INDIVIDUAL
    )
    shares = claims.values("borrower_id").annotate(
        total=Sum("outstanding_balance"),
        own=Sum(
            "outstanding_balance",
            filter=Q(risk_class__gte=RiskClass.SUBSTANDARD, classified_with_borrower=False),
        ),
    )
    held = [
        row["borrower_id"]
        for row in shares
        if row["own"] and row["own"] > row["total"] * NON_RETAIL_SHARE
    ]
    candidates = list(
        claims.filter(borrower_id__in=held, risk_class__lt=BORROWER_FLOOR).order_by("pk")
    )
    for loan in candidates:
        perform_action(
            loan,
            "classification_floor_apply",
            actor=None,
            data={"cause": BORROWER_SHARE_CAUSE},
            channel=Channel.SYSTEM,
        )
    raised: int = Loan.objects.filter(
        pk__in=[loan.pk for loan in candidates], risk_class__gte=BORROWER_FLOOR
    ).count()
    if raised:
        logger.info("borrower floors applied", extra={"loans": raised})
    return raised
