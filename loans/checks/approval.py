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


@check(
    code="pricing_authority",
    title=_("A spread below the product's floor is within the approver's pricing authority"),
    clause="approval.pricing-authority",
    kind=CheckKind.PERSON,
)
def pricing_authority(ctx: CheckContext) -> Outcome:
    loan = ctx.obj
    spread = loan.rate_spread_bps
    if spread is None or loan.product_id is None:
        return passed()  # priced at the product's floor
    floor = ctx.policy.spread_floor(loan.product.code)
    below = floor - spread
    if below <= 0:
        return passed()
    held = ctx.actor.authority_level or 0
    latitude = ctx.policy.pricing_latitude(held)
    if below > latitude:
        return failed(
            _(
                "A spread of %(spread)s basis points is %(below)s below the product's floor of "
                "%(floor)s; authority level %(held)s may price at most %(latitude)s below it."
            ),
            spread=spread,
            below=below,
            floor=floor,
            held=held,
            latitude=latitude,
        )
    return passed()
