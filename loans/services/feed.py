"""The write of a loan's rows of one core-banking file (loans/feed/): ``core_feed_apply``, the
action declared in loans/workflow.py, called by the engine only, holding the loan's row lock,
after its checks passed (loans/checks/feed.py).

One step per loan and file: its repayments inserted together and allocated to the schedule in
the order paid, then its days past due, one audit event for all of it. The statements do not
grow with the loan's rows (a repayment that repays principal early makes a new schedule version,
and the next is allocated to it).
"""

from __future__ import annotations

from typing import Any

from loans.choices import EarlyRepaymentOption
from loans.models import Loan, Repayment
from loans.services.classification import days_past_due_set
from loans.services.servicing import repayments_allocate
from workflow.actions import UNCHANGED
from workflow.checks import CheckContext


def core_feed_apply(ctx: CheckContext) -> Any:
    """Record the file's repayments of the loan and its days past due; nothing to change (no
    repayment, the same figure) writes nothing and no event."""
    loan: Loan = ctx.obj
    repayments = [
        Repayment(
            loan=loan,
            principal=row["principal"],
            paid_at=row["paid_at"],
            early_repayment=EarlyRepaymentOption.REAMORTISE,
            recorded_by=ctx.actor,
        )
        for row in ctx.payload.get("repayments") or ()
    ]
    for repayment in repayments:  # the model's own rules; the references are the engine's
        repayment.clean_fields(exclude=["loan", "recorded_by"])
        repayment.clean()
    changed: list[str] = []
    if repayments:
        Repayment.objects.bulk_create(repayments)
        loan.outstanding_balance -= repayments_allocate(ctx, repayments)
        changed.append("outstanding_balance")
        ctx.audit["records"] = [{"type": "loans.repayment", "id": r.pk} for r in repayments]
    if "days_past_due" in ctx.payload:
        changed += days_past_due_set(ctx, ctx.payload["days_past_due"])
    if not changed:
        return UNCHANGED
    loan.save(update_fields=changed)
    return None
