"""The write of a loan's rows of one core-banking file (loans/feed/): ``core_feed_apply``, the
action declared in loans/workflow.py, called by the engine only, holding the loan's row lock,
after its checks passed (loans/checks/feed.py).

One step per loan and file: its repayments inserted together and allocated to the schedule in
the order paid, then its days past due, one audit event for all of it. The import performs the
step for a few hundred loans at a time (``workflow.batch``): ``core_feed_prepare`` reads their
schedules for the checks and the allocation, and ``core_feed_apply_many`` makes the same writes as
``core_feed_apply`` for all of them together — the repayments in one insert, the instalments in
one update, the allocations in one insert, the balances and days past due in one update. A
repayment that repays principal ahead of the schedule makes a new schedule version (and the next
is allocated to it): that loan's allocation is written on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loans.choices import EarlyRepaymentOption
from loans.models import Instalment, Loan, Repayment, RepaymentAllocation
from loans.services.classification import days_past_due_set
from loans.services.servicing import (
    INSTALMENT_PAID,
    repayments_allocate,
    repayments_allocated,
    schedule_forget,
    schedules_read_for,
)
from workflow.actions import UNCHANGED
from workflow.batch import update_rows
from workflow.checks import CheckContext


def _repayments(ctx: CheckContext) -> list[Repayment]:
    """The loan's repayments of the file, unsaved, each judged by the model's own rules (the
    references are the engine's)."""
    repayments = [
        Repayment(
            loan=ctx.obj,
            principal=row["principal"],
            paid_at=row["paid_at"],
            early_repayment=EarlyRepaymentOption.REAMORTISE,
            recorded_by=ctx.actor,
        )
        for row in ctx.payload.get("repayments") or ()
    ]
    for repayment in repayments:
        repayment.clean_fields(exclude=["loan", "recorded_by"])
        repayment.clean()
    return repayments


def _recorded(ctx: CheckContext, repayments: list[Repayment]) -> None:
    ctx.audit["records"] = [{"type": "loans.repayment", "id": r.pk} for r in repayments]


def core_feed_apply(ctx: CheckContext) -> Any:
    """Record the file's repayments of the loan and its days past due; nothing to change (no
    repayment, the same figure) writes nothing and no event."""
    loan: Loan = ctx.obj
    repayments = _repayments(ctx)
    changed: list[str] = []
    if repayments:
        Repayment.objects.bulk_create(repayments)
        loan.outstanding_balance -= repayments_allocate(ctx, repayments)
        changed.append("outstanding_balance")
        _recorded(ctx, repayments)
    if "days_past_due" in ctx.payload:
        changed += days_past_due_set(ctx, ctx.payload["days_past_due"])
    if not changed:
        return UNCHANGED
    loan.save(update_fields=changed)
    return None


def core_feed_prepare(loans: Sequence[Loan], now: datetime) -> None:
    """Read the schedules in force of a batch's loans, for their checks and their allocation."""
    schedules_read_for(loans)


def core_feed_apply_many(contexts: Sequence[CheckContext]) -> list[Any]:
    """``core_feed_apply`` for the loans of a batch (their contexts, in key order), their writes
    made together; each loan's result in the same order."""
    every = [_repayments(ctx) for ctx in contexts]
    Repayment.objects.bulk_create([r for repayments in every for r in repayments])
    instalments: list[Instalment] = []
    allocations: list[RepaymentAllocation] = []
    saved: list[Loan] = []
    fields: set[str] = set()
    results: list[Any] = []
    for ctx, repayments in zip(contexts, every, strict=True):
        loan: Loan = ctx.obj
        changed: list[str] = []
        if repayments:
            allocated = repayments_allocated(ctx, repayments)
            if allocated is None:  # a new schedule version: this loan's allocation on its own
                schedule_forget(loan)
                loan.outstanding_balance -= repayments_allocate(ctx, repayments)
            else:
                instalments += allocated.instalments
                allocations += allocated.allocations
                loan.outstanding_balance -= allocated.principal
            changed.append("outstanding_balance")
            _recorded(ctx, repayments)
        if "days_past_due" in ctx.payload:
            changed += days_past_due_set(ctx, ctx.payload["days_past_due"])
        if changed:
            saved.append(loan)
            fields.update(changed)
        results.append(None if changed else UNCHANGED)
    update_rows(instalments, INSTALMENT_PAID)
    RepaymentAllocation.objects.bulk_create(allocations)
    update_rows(saved, sorted(fields))
    return results
