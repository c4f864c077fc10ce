"""Extension (展期): the writes of the ``extension_*`` actions declared in loans/workflow.py.

Each function is called by the engine only, inside its transaction, holding the loan's row lock,
after every check of its action passed. A request is reviewed by a reviewer, endorsed when the
amount is above the top authority tier, and approved or declined by an approver; the approval
makes a new version of the repayment schedule over the extended term (docs/servicing.md).
"""

from __future__ import annotations

from typing import Any

from loans.checks.extension import maturity_of
from loans.choices import ExtensionStatus
from loans.models import Extension, Loan
from loans.services.servicing import schedule_extend
from loans.servicing.extension import new_maturity
from workflow.checks import CheckContext


def extension_request(ctx: CheckContext) -> Extension:
    """The account manager asks for ``months`` more, with a reason: the extension awaits review."""
    loan: Loan = ctx.obj
    months: int = ctx.payload["months"]
    maturity = maturity_of(ctx)
    schedule = loan.schedules.order_by("-version").first()
    assert maturity is not None  # noqa: S101 - checked before
    assert schedule is not None  # noqa: S101 - checked before
    extension = Extension.objects.create(
        loan=loan,
        months=months,
        reason=ctx.payload["reason"],
        maturity_before=maturity,
        maturity_after=new_maturity(maturity, months=months, start=schedule.start_date),
        requested_by=ctx.actor,
        requested_at=ctx.now,
    )
    ctx.audit["extension"] = {
        "months": months,
        "maturity_before": extension.maturity_before.isoformat(),
        "maturity_after": extension.maturity_after.isoformat(),
    }
    return extension


def extension_review(ctx: CheckContext) -> Extension:
    """The reviewer's opinion: the extension goes on to approval."""
    extension: Extension = ctx.payload["record"]
    extension.status = ExtensionStatus.REVIEWED
    extension.reviewed_by = ctx.actor
    extension.reviewed_at = ctx.now
    extension.review_opinion = ctx.payload["opinion"]
    extension.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_opinion"])
    return extension


def extension_endorse(ctx: CheckContext) -> Extension:
    """The first of two top-level approvers endorses an extension above the top tier."""
    extension: Extension = ctx.payload["record"]
    extension.endorsed_by = ctx.actor
    extension.endorsed_at = ctx.now
    extension.save(update_fields=["endorsed_by", "endorsed_at"])
    return extension


def extension_approve(ctx: CheckContext) -> Extension:
    """Approve: a new schedule version to the new maturity; the loan is marked extended (a signal
    for classification, which the approval itself does not change)."""
    loan: Loan = ctx.obj
    extension: Extension = ctx.payload["record"]
    schedule, maturity = schedule_extend(ctx, months=extension.months)
    extension.status = ExtensionStatus.APPROVED
    extension.decided_by = ctx.actor
    extension.decided_at = ctx.now
    extension.decision_note = ctx.payload["note"]
    extension.schedule = schedule
    extension.maturity_after = maturity
    extension.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "schedule",
            "maturity_after",
        ]
    )
    loan.extension_months += extension.months
    loan.extended_at = ctx.now
    loan.save(update_fields=["extension_months", "extended_at"])
    ctx.audit["extension"] = {"months": extension.months, "maturity": maturity.isoformat()}
    return extension


def extension_decline(ctx: CheckContext) -> Any:
    """A reviewer (in review) or an approver (after it) declines the extension, saying why."""
    extension: Extension = ctx.payload["record"]
    extension.status = ExtensionStatus.DECLINED
    extension.decided_by = ctx.actor
    extension.decided_at = ctx.now
    extension.decision_note = ctx.payload["note"]
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return extension
