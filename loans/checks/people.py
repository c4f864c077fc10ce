"""Checks on the person acting: separation of duties and approval authority."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from loans.roles import Capacity
from workflow.checks import (
    Check,
    CheckContext,
    CheckKind,
    Message,
    Outcome,
    Severity,
    check,
    failed,
    lazy_join,
    passed,
)

if TYPE_CHECKING:
    pass


def not_involved_as(*capacities: Capacity, code: str, title: Message, clause: str) -> Check:
    """A check that the actor played none of ``capacities`` earlier in this loan."""

    def function(ctx: CheckContext) -> Outcome:
        from loans.selectors import loan_participants

        earlier = loan_participants(ctx.obj).get(ctx.actor.pk, set()) & set(capacities)
        if earlier:
            return failed(
                _("You were involved in this loan as %(capacities)s and may not act now."),
                capacities=lazy_join([Capacity(c).label for c in sorted(earlier)]),
            )
        return passed()

    return Check(
        code=code,
        title=title,
        clause=clause,
        function=function,
        severity=Severity.HARD,
        kind=CheckKind.PERSON,
    )


reviewer_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    code="reviewer_independent",
    title=_("The reviewer neither sold nor investigated this loan"),
    clause="§3 review: separation of lending and review (审贷分离)",
)
approver_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    Capacity.REVIEWER,
    code="approver_independent",
    title=_("The approver was not involved earlier in this loan"),
    clause="§3 approval: approver not involved earlier",
)
disbursement_officer_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    Capacity.REVIEWER,
    Capacity.APPROVER,
    code="disbursement_officer_independent",
    title=_("The disbursement officer was not involved earlier in this loan"),
    clause="§3 disbursement: disbursement officer is not the approver or earlier party",
)


def _endorsers(ctx: CheckContext) -> set[int]:
    """Top-level approvers who endorsed the loan in this round of approval."""
    from loans.choices import ApprovalOutcome

    loan = ctx.obj
    return set(
        loan.approval_decisions.filter(
            outcome=ApprovalOutcome.ENDORSED,
            decided_at__gte=loan.state_entered_at,
            authority_level__gte=ctx.policy.top_tier[1],
        ).values_list("approver_id", flat=True)
    )


@check(
    code="approver_authority",
    title=_("The amount is within the approver's authority"),
    clause="§3 approval: authority tiers by amount; above the top tier two top-level approvers",
    kind=CheckKind.PERSON,
)
def approver_authority(ctx: CheckContext) -> Outcome:
    amount = ctx.obj.amount
    if amount is None:
        return failed(_("The loan has no amount."))
    held = ctx.actor.authority_level or 0
    needed = ctx.policy.required_authority(amount)
    if needed is not None:
        if held < needed:
            return failed(
                _("CNY %(amount)s needs authority level %(needed)s; you hold level %(held)s."),
                amount=f"{amount:,.2f}",
                needed=needed,
                held=held,
            )
        return passed()
    ceiling, top = ctx.policy.top_tier
    if held < top or not (_endorsers(ctx) - {ctx.actor.pk}):
        return failed(
            _(
                "Above CNY %(ceiling)s two approvers of level %(level)s must approve: "
                "one endorses, another approves."
            ),
            ceiling=f"{ceiling:,.0f}",
            level=top,
        )
    return passed()


@check(
    code="endorsement_allowed",
    title=_("A first top-level approver may endorse this loan"),
    clause="§3 approval: above the top tier, two top-level approvers",
    kind=CheckKind.PERSON,
)
def endorsement_allowed(ctx: CheckContext) -> Outcome:
    ceiling, top = ctx.policy.top_tier
    amount = ctx.obj.amount
    if amount is None or amount <= ceiling:
        return failed(
            _("Up to CNY %(ceiling)s one approver decides; no endorsement is needed."),
            ceiling=f"{ceiling:,.0f}",
        )
    if (ctx.actor.authority_level or 0) < top:
        return failed(_("Only an approver of level %(level)s may endorse."), level=top)
    if _endorsers(ctx):
        return failed(_("The loan is already endorsed; a second approver now approves it."))
    return passed()
