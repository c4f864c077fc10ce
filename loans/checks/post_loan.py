"""Checks for closing a loan: repaid, and its inspections kept up."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow.checks import CheckContext, Outcome, check, failed, passed


@check(
    code="balance_repaid",
    title=_("The outstanding balance is zero"),
    clause="closing.repaid",
)
def balance_repaid(ctx: CheckContext) -> Outcome:
    balance = ctx.obj.outstanding_balance
    if balance == 0:
        return passed()
    return failed(_("CNY %(balance)s is still outstanding."), balance=f"{balance:,.2f}")


@check(
    code="no_inspection_overdue",
    title=_("No post-loan inspection is overdue"),
    clause="post-loan.inspection-schedule",
)
def no_inspection_overdue(ctx: CheckContext) -> Outcome:
    from loans.selectors import next_inspection_due

    due = next_inspection_due(ctx.obj, ctx.policy)
    if due is None or due >= ctx.now:
        return passed()
    return failed(
        _("An inspection was due on %(date)s and has not been made."),
        date=f"{timezone.localtime(due):%Y-%m-%d}",
    )
