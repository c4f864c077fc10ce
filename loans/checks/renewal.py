"""Checks for renewing a loan (续贷): a new application linked to the loan it renews."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.states import LoanState
from workflow.checks import CheckContext, Outcome, check, failed, passed

# A renewal that ended without a loan (rejected, withdrawn) does not stand in the way of another.
ENDED_WITHOUT_A_LOAN = (LoanState.REJECTED, LoanState.WITHDRAWN)


@check(
    code="renewal_not_in_arrears",
    title=_("Nothing is past due on the loan to renew, or the policy allows renewing arrears"),
    clause="renewal.no-arrears",
)
def renewal_not_in_arrears(ctx: CheckContext) -> Outcome:
    days = ctx.obj.days_past_due
    if days == 0 or ctx.policy.renewal_in_arrears_allowed:
        return passed()
    return failed(
        _("The loan is %(days)s days past due; the policy in force renews no loan in arrears."),
        days=days,
    )


@check(
    code="renewal_not_yet_opened",
    title=_("The loan has no other renewal in progress or in force"),
    clause="renewal.once",
)
def renewal_not_yet_opened(ctx: CheckContext) -> Outcome:
    other = ctx.obj.renewals.exclude(state__in=ENDED_WITHOUT_A_LOAN).first()
    if other is None:
        return passed()
    return failed(
        _("The loan is already renewed by %(reference)s (%(state)s)."),
        reference=other.reference,
        state=other.get_state_display(),
    )
