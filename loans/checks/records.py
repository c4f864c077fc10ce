"""Checks on the record an action names: a correction, a cancellation or a confirmation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.choices import DocumentKind
from workflow.checks import (
    Check,
    CheckContext,
    CheckKind,
    Outcome,
    check,
    failed,
    input_check,
    passed,
)


def record_of(model_label: str) -> Check:
    """An input check that the action names a record in force of this loan, of the kind the
    action is for (``app.Model``): cancelling an interview cannot void a drawdown."""

    def function(ctx: CheckContext) -> Outcome:
        record = ctx.payload.get("record")
        if record is None or record._meta.label != model_label or record.loan_id != ctx.obj.pk:
            return failed(_("Choose a record of this loan."))
        if getattr(record, "cancelled_at", None) is not None:
            return failed(_("That record was cancelled."))
        return passed()

    return input_check(
        "record",
        code="record_of_this_loan",
        title=_("The record is one of this loan's records in force"),
        clause="records.correction",
        function=function,
    )


@check(
    code="visit_awaiting_confirmation",
    title=_("The visit awaits the co-investigator's confirmation"),
    clause="visit.two-investigators",
    kind=CheckKind.INPUT,
    field="record",
)
def visit_awaiting_confirmation(ctx: CheckContext) -> Outcome:
    visit = ctx.payload.get("record")
    if visit is not None and visit.co_investigator_confirmed_at is not None:
        return failed(_("The visit is already confirmed."))
    return passed()


@check(
    code="upgrade_awaiting_confirmation",
    title=_("The inspection proposes a better class that awaits confirmation"),
    clause="classification.upgrade-two-person",
    kind=CheckKind.INPUT,
    field="record",
)
def upgrade_awaiting_confirmation(ctx: CheckContext) -> Outcome:
    inspection = ctx.payload.get("record")
    if inspection is None:
        return passed()
    proposed = inspection.proposed_class
    if (
        proposed is None
        or inspection.upgrade_confirmed_at is not None
        or proposed >= ctx.obj.risk_class
    ):
        return failed(_("This inspection proposes no upgrade awaiting confirmation."))
    return passed()


@check(
    code="evidence_of_the_current_stage",
    title=_("Evidence is attached in the stage it belongs to"),
    clause="records.stage-evidence",
)
def evidence_of_the_current_stage(ctx: CheckContext) -> Outcome:
    from loans.workflow import LoanState

    visit = ctx.payload.get("site_visit")
    if visit is not None and ctx.obj.state != LoanState.SITE_VISIT:
        return failed(_("Photos of a site visit are added during the site visit."))
    if visit is not None and visit.loan_id != ctx.obj.pk:
        return failed(_("That site visit belongs to another loan."))
    if ctx.payload.get("kind") == DocumentKind.CONTRACT and ctx.obj.state != "disbursement":
        return failed(_("The signed contract is added in the disbursement stage."))
    return passed()


@check(
    code="drawdown_not_paid",
    title=_("The drawdown has not been paid"),
    clause="records.correction",
    kind=CheckKind.INPUT,
    field="record",
)
def drawdown_not_paid(ctx: CheckContext) -> Outcome:
    drawdown = ctx.payload.get("record")
    if drawdown is not None and drawdown.paid_at is not None:
        return failed(_("The drawdown was paid; it can no longer change."))
    return passed()


@check(
    code="repayment_not_allocated",
    title=_("A repayment allocated to the schedule is cancelled, not corrected"),
    clause="post-loan.repayment-allocation",
    kind=CheckKind.INPUT,
    field="record",
)
def repayment_not_allocated(ctx: CheckContext) -> Outcome:
    repayment = ctx.payload.get("record")
    if repayment is not None and repayment.allocations.exists():
        return failed(
            _("The repayment was allocated to the schedule: cancel it and record it again.")
        )
    return passed()


@check(
    code="repayment_reversible",
    title=_("The repayment is the latest allocated and made no new schedule version"),
    clause="post-loan.repayment-allocation",
    kind=CheckKind.INPUT,
    field="record",
)
def repayment_reversible(ctx: CheckContext) -> Outcome:
    from loans.models import RepaymentAllocation, RepaymentSchedule

    repayment = ctx.payload.get("record")
    if repayment is None or not repayment.allocations.exists():
        return passed()
    if RepaymentSchedule.objects.filter(repayment=repayment).exists():
        return failed(_("The repayment made a new schedule version; it can no longer be undone."))
    later = RepaymentAllocation.objects.filter(
        repayment__loan=ctx.obj,
        repayment__cancelled_at__isnull=True,
        repayment__id__gt=repayment.pk,
    )
    if later.exists():
        return failed(_("A later repayment was allocated after this one: cancel that first."))
    return passed()
