"""Checks shared by returns, rejections and withdrawals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from loans.choices import ReturnReason
from workflow.checks import CheckContext, Outcome, check, failed, passed

if TYPE_CHECKING:
    pass


@check(
    code="reason_given",
    title=_("A reason is given"),
    clause="§3: return, rejection and withdrawal state their reason",
)
def reason_given(ctx: CheckContext) -> Outcome:
    comment = str(ctx.payload.get("comment", "")).strip()
    reason = ctx.payload.get("reason", "")
    if reason not in ReturnReason.values or not comment:
        return failed(
            _("Choose a reason (%(choices)s) and write a comment."),
            choices=", ".join(ReturnReason.values),
        )
    return passed()
