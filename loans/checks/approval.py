"""Checks for the approval decision itself."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, passed

MAX_CONDITIONS = 20


@check(
    code="approval_conditions_stated",
    title=_("The approval states its conditions (or that there are none)"),
    clause="approval.conditions",
    kind=CheckKind.INPUT,
    field="conditions",
)
def approval_conditions_stated(ctx: CheckContext) -> Outcome:
    conditions = ctx.payload.get("conditions")
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        return failed(
            _("List the approval's conditions (an empty list when there are none, at most %(n)s)."),
            n=MAX_CONDITIONS,
        )
    if not all(isinstance(c, str) and 0 < len(c.strip()) <= 255 for c in conditions):
        return failed(_("Each condition is a sentence of 1 to 255 characters."))
    return passed()
