"""Days past due and the classification floors they set: the writes of the post-loan actions
declared in loans/workflow.py (``days_past_due_update``, ``classification_floor_apply``,
``overdue_mark_technical``, ``restructuring_record``).

Each function is called by the engine only, inside its transaction, holding the loan's row lock,
after every check of its action passed. A function that finds nothing to change returns
``UNCHANGED``: the step is done and no audit event is written.
"""

from __future__ import annotations

from typing import Any

from loans.choices import RiskClass
from loans.classification import effective_floor, under_observation
from loans.models import Loan
from loans.services.post_loan import classify, reschedule_inspection
from workflow.actions import UNCHANGED
from workflow.checks import CheckContext


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


def classification_floor_apply(ctx: CheckContext) -> Any:
    """The system's downgrade: raise the class to its floor and inspect the loan at the interval
    of its new class. Arrears repaid do not improve the class by themselves (an upgrade is
    proposed and confirmed by two people)."""
    loan: Loan = ctx.obj
    floor = effective_floor(loan, ctx.policy, ctx.now)
    if floor <= loan.risk_class:
        return UNCHANGED
    cause = ctx.payload.get("cause", "")
    ctx.audit["classified"] = classify(loan, RiskClass(floor), cause=cause)
    reschedule_inspection(loan)
    return None


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
