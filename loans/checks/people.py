"""Checks on the person acting: separation of duties and approval authority."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from loans.checks.facts import PARTICIPANTS
from loans.roles import Capacity, Role
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


def not_involved_as(*capacities: Capacity, code: str, title: Message, clause: str) -> Check:
    """A check that the actor played none of ``capacities`` earlier in this loan."""

    def function(ctx: CheckContext) -> Outcome:
        from loans.checks.facts import participants
        from loans.selectors import CAPACITY_OF_ROLE

        earlier = participants(ctx, CAPACITY_OF_ROLE).get(ctx.actor.pk, set()) & set(capacities)
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
        reads=frozenset(PARTICIPANTS),
    )


reviewer_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    code="reviewer_independent",
    title=_("The reviewer neither sold nor investigated this loan"),
    clause="review.separation",
)
approver_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    Capacity.REVIEWER,
    code="approver_independent",
    title=_("The approver was not involved earlier in this loan"),
    clause="approval.independent",
)
disbursement_officer_independent = not_involved_as(
    Capacity.ACCOUNT_MANAGER,
    Capacity.INVESTIGATOR,
    Capacity.REVIEWER,
    Capacity.APPROVER,
    code="disbursement_officer_independent",
    title=_("The disbursement officer was not involved earlier in this loan"),
    clause="disbursement.independent",
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


def authority_for_amount(ctx: CheckContext, *, endorsed_by_another: Callable[[], bool]) -> Outcome:
    """Whether the acting approver's authority covers the loan's amount: one approver of the
    amount's tier, or above the top tier a top-level approver after another one endorsed (asked
    only there: it reads the endorsements). The loan's approval and an extension's share it."""
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
    if held < top or not endorsed_by_another():
        return failed(
            _(
                "Above CNY %(ceiling)s two approvers of level %(level)s must approve: "
                "one endorses, another approves."
            ),
            ceiling=f"{ceiling:,.0f}",
            level=top,
        )
    return passed()


def endorsement_open(ctx: CheckContext, *, endorsed: bool, already: Message) -> Outcome:
    """Whether the acting approver may endorse: only above the top tier, only at the top level,
    and only once (``already`` says so when ``endorsed``)."""
    ceiling, top = ctx.policy.top_tier
    amount = ctx.obj.amount
    if amount is None or amount <= ceiling:
        return failed(
            _("Up to CNY %(ceiling)s one approver decides; no endorsement is needed."),
            ceiling=f"{ceiling:,.0f}",
        )
    if (ctx.actor.authority_level or 0) < top:
        return failed(_("Only an approver of level %(level)s may endorse."), level=top)
    if endorsed:
        return failed(already)
    return passed()


@check(
    code="approver_authority",
    title=_("The amount is within the approver's authority"),
    clause="approval.authority",
    kind=CheckKind.PERSON,
)
def approver_authority(ctx: CheckContext) -> Outcome:
    return authority_for_amount(
        ctx, endorsed_by_another=lambda: bool(_endorsers(ctx) - {ctx.actor.pk})
    )


@check(
    code="endorsement_allowed",
    title=_("A first top-level approver may endorse this loan"),
    clause="approval.authority",
    kind=CheckKind.PERSON,
)
def endorsement_allowed(ctx: CheckContext) -> Outcome:
    return endorsement_open(
        ctx,
        endorsed=bool(_endorsers(ctx)),
        already=_("The loan is already endorsed; a second approver now approves it."),
    )


@check(
    code="loan_owner",
    title=_("The loan's account manager (or a delegate) takes the step"),
    clause="roles.owner",
    kind=CheckKind.PERSON,
)
def loan_owner(ctx: CheckContext) -> Outcome:
    loan = ctx.obj
    if ctx.actor.pk == loan.account_manager_id:
        return passed()
    if loan.delegations.filter(delegate_id=ctx.actor.pk, revoked_at__isnull=True).exists():
        return passed()
    manager = loan.account_manager
    return failed(
        _("This loan is %(manager)s's: only they, or a delegate the branch head names, may act."),
        manager=manager.get_full_name() or manager.username,
    )


@check(
    code="approver_authority_to_reject",
    title=_("The amount is within the approver's authority"),
    clause="approval.authority",
    kind=CheckKind.PERSON,
)
def approver_authority_to_reject(ctx: CheckContext) -> Outcome:
    amount = ctx.obj.amount
    held = ctx.actor.authority_level or 0
    needed = ctx.policy.required_authority(amount) if amount is not None else None
    if needed is None:
        needed = ctx.policy.top_tier[1]
    if held < needed:
        return failed(
            _("CNY %(amount)s needs authority level %(needed)s; you hold level %(held)s."),
            amount=f"{amount or 0:,.2f}",
            needed=needed,
            held=held,
        )
    return passed()


@check(
    code="named_co_investigator",
    title=_("The co-investigator named on the visit confirms it"),
    clause="visit.two-investigators",
    kind=CheckKind.PERSON,
)
def named_co_investigator(ctx: CheckContext) -> Outcome:
    visit = ctx.payload.get("record")
    if visit is None or visit.co_investigator_id == ctx.actor.pk:
        return passed()
    return failed(_("Only the co-investigator named on the visit may confirm it."))


@check(
    code="upgrade_confirmer_independent",
    title=_("Someone other than the inspector confirms an upgrade"),
    clause="classification.upgrade-two-person",
    kind=CheckKind.PERSON,
)
def upgrade_confirmer_independent(ctx: CheckContext) -> Outcome:
    inspection = ctx.payload.get("record")
    if inspection is None:
        return passed()
    if inspection.inspector_id == ctx.actor.pk or ctx.actor.pk == ctx.obj.account_manager_id:
        return failed(_("The upgrade was proposed on your inspection or loan."))
    return passed()


def correction_allowed(record_states: frozenset[str]) -> Check:
    """Within the record's own stages its author corrects it; afterwards, the branch head."""

    def function(ctx: CheckContext) -> Outcome:
        from loans.roles import Role

        record = ctx.payload.get("record")
        if record is None:
            return passed()
        if ctx.obj.state in record_states:
            if record.author_id == ctx.actor.pk:
                return passed()
            return failed(_("Within its stage, a record is corrected by the person who made it."))
        if Role.BRANCH_HEAD in ctx.actor.roles:
            return passed()
        return failed(
            _(
                "After its stage, a record is corrected by the branch head, or the loan is "
                "returned for revision."
            )
        )

    return Check(
        code="correction_allowed",
        title=_("The person may correct this record now"),
        clause="records.correction",
        function=function,
        severity=Severity.HARD,
        kind=CheckKind.PERSON,
    )


@check(
    code="works_on_the_loan",
    title=_("The person works this stage of the loan"),
    clause="roles.owner",
    kind=CheckKind.PERSON,
)
def works_on_the_loan(ctx: CheckContext) -> Outcome:
    """At the site visit the loan's account manager (or delegate); in review, a reviewer who
    neither sold nor investigated it (an account manager has no part in review, even one who
    never touched the loan)."""
    from loans.states import LoanState

    if ctx.obj.state == LoanState.REVIEW:
        if Role.REVIEWER not in ctx.actor.roles:
            return failed(_("In review, the reviewer asks for an exception."))
        return reviewer_independent.function(ctx)
    return loan_owner.function(ctx)
