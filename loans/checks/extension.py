"""Checks for extending a loan (展期): the request, its review and its approval.

Who may review and approve is the loan's own rule (``reviewer_independent``,
``approver_independent``, loans/checks/people.py); the amount needs the same authority as the
loan (``extension_approver_authority``). The extension in question is the action's ``record``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from loans.checks.entry import local_day
from loans.checks.facts import PARTICIPANTS
from loans.choices import EXTENSION_PENDING as PENDING
from loans.choices import ExtensionStatus
from loans.roles import Role
from loans.servicing.extension import months_left
from workflow.checks import (
    CheckContext,
    CheckKind,
    Outcome,
    check,
    failed,
    input_check,
    passed,
    text_given,
)

# Rule ids of docs/rules.md (loans/rules.py)
CLAUSE_MATURITY = "extension.before-maturity"
CLAUSE_LIMITS = "extension.limits"
CLAUSE_ARREARS = "extension.no-arrears"
CLAUSE_ONE = "extension.one-at-a-time"
CLAUSE_PATH = "extension.review-and-approval"
MOST_MONTHS = 120  # what a form accepts at all; the policy's limit is a check of its own


def maturity_of(ctx: CheckContext) -> date | None:
    """The maturity of the schedule in force (its last due date); None without a schedule."""
    schedule = ctx.obj.schedules.order_by("-version").first()
    if schedule is None:
        return None
    due = schedule.instalments.order_by("-due_date").values_list("due_date", flat=True)
    last: date | None = due.first()
    return last


def _extension(ctx: CheckContext) -> Any:
    return ctx.payload.get("record")


def _months(ctx: CheckContext) -> int:
    """The months asked: typed with the request, or those of the extension being decided."""
    extension = _extension(ctx)
    if extension is not None:
        return int(extension.months)
    months = ctx.payload.get("months")
    return months if isinstance(months, int) and not isinstance(months, bool) else 0


def _months_valid(ctx: CheckContext) -> Outcome:
    months = ctx.payload.get("months")
    if isinstance(months, bool) or not isinstance(months, int) or not 0 < months <= MOST_MONTHS:
        return failed(
            _("Give the months to add: a whole number from 1 to %(most)s."), most=MOST_MONTHS
        )
    return passed()


extension_months_given = input_check(
    "months",
    code="extension_months_given",
    title=_("The extension asks for a whole number of months"),
    clause=CLAUSE_LIMITS,
    function=_months_valid,
)
extension_reason_given = text_given(
    "reason",
    code="extension_reason_given",
    title=_("The request says why the borrower cannot repay on time"),
    clause=CLAUSE_PATH,
    prompt=_("Say why the borrower needs more time (at least %(count)s characters)."),
    minimum=10,
)
extension_opinion_given = text_given(
    "opinion",
    code="extension_opinion_given",
    title=_("The reviewer writes an opinion on the extension"),
    clause=CLAUSE_PATH,
    prompt=_("Write the review opinion (at least %(count)s characters)."),
    minimum=10,
)
extension_note_given = text_given(
    "note",
    code="extension_note_given",
    title=_("The decision on the extension says why"),
    clause=CLAUSE_PATH,
    prompt=_("Say why (at least %(count)s characters)."),
    minimum=10,
)


def _extension_of_the_loan(ctx: CheckContext) -> Outcome:
    extension = _extension(ctx)
    if extension is None or extension._meta.label != "loans.Extension":
        return failed(_("Choose an extension of this loan."))
    if extension.loan_id != ctx.obj.pk:
        return failed(_("Choose an extension of this loan."))
    return passed()


extension_of_the_loan = input_check(
    "record",
    code="extension_of_the_loan",
    title=_("The extension is one of this loan's"),
    clause=CLAUSE_PATH,
    function=_extension_of_the_loan,
)


@check(
    code="extension_before_maturity",
    title=_("The loan has a repayment schedule and has not reached its maturity"),
    clause=CLAUSE_MATURITY,
)
def extension_before_maturity(ctx: CheckContext) -> Outcome:
    maturity = maturity_of(ctx)
    if maturity is None or ctx.obj.outstanding_balance <= 0:
        return failed(_("The loan has no repayment schedule with principal to extend."))
    if local_day(ctx.now) >= maturity:
        return failed(
            _("The loan matured on %(maturity)s: an extension is asked and decided before."),
            maturity=maturity.isoformat(),
        )
    return passed()


@check(
    code="extension_within_limits",
    title=_("The extensions add up to no more than the policy allows for the loan's term"),
    clause=CLAUSE_LIMITS,
)
def extension_within_limits(ctx: CheckContext) -> Outcome:
    loan = ctx.obj
    months = _months(ctx)
    left = months_left(loan.term_months or 0, loan.extension_months, ctx.policy.extension_limits)
    if months > left or left == 0:
        return failed(
            _(
                "A loan of %(term)s months may be extended by %(left)s more months at most "
                "(already extended by %(done)s); %(months)s were asked."
            ),
            term=loan.term_months or 0,
            left=left,
            done=loan.extension_months,
            months=months,
        )
    return passed()


@check(
    code="extension_not_in_arrears",
    title=_("Nothing is past due on the loan"),
    clause=CLAUSE_ARREARS,
)
def extension_not_in_arrears(ctx: CheckContext) -> Outcome:
    days = ctx.obj.days_past_due
    if days == 0:
        return passed()
    return failed(
        _("The loan is %(days)s days past due: arrears are collected, not extended."), days=days
    )


@check(
    code="extension_not_pending",
    title=_("No other extension of the loan is awaiting a decision"),
    clause=CLAUSE_ONE,
)
def extension_not_pending(ctx: CheckContext) -> Outcome:
    if ctx.obj.extensions.filter(status__in=PENDING).exists():
        return failed(_("An extension of this loan is already awaiting review or approval."))
    return passed()


@check(
    code="extension_awaiting_review",
    title=_("The extension awaits review"),
    clause=CLAUSE_PATH,
)
def extension_awaiting_review(ctx: CheckContext) -> Outcome:
    extension = _extension(ctx)
    if extension is None or extension.status == ExtensionStatus.REQUESTED:
        return passed()
    return failed(
        _("The extension is %(status)s, not awaiting review."),
        status=extension.get_status_display(),
    )


@check(
    code="extension_awaiting_approval",
    title=_("The extension was reviewed and awaits approval"),
    clause=CLAUSE_PATH,
)
def extension_awaiting_approval(ctx: CheckContext) -> Outcome:
    extension = _extension(ctx)
    if extension is None or extension.status == ExtensionStatus.REVIEWED:
        return passed()
    if extension.status == ExtensionStatus.REQUESTED:
        return failed(_("The extension has not been reviewed: a reviewer decides first."))
    return failed(
        _("The extension is %(status)s, not awaiting approval."),
        status=extension.get_status_display(),
    )


@check(
    code="extension_awaiting_decision",
    title=_("The extension awaits review or approval"),
    clause=CLAUSE_PATH,
)
def extension_awaiting_decision(ctx: CheckContext) -> Outcome:
    extension = _extension(ctx)
    if extension is None or extension.pending:
        return passed()
    return failed(_("The extension is %(status)s already."), status=extension.get_status_display())


@check(
    code="extension_decider_independent",
    title=_("The person deciding is the extension's reviewer or approver, independent of the loan"),
    clause=CLAUSE_PATH,
    kind=CheckKind.PERSON,
    reads=PARTICIPANTS,  # the reviewer's or approver's independence
)
def extension_decider_independent(ctx: CheckContext) -> Outcome:
    """A pending extension is declined in review by a reviewer, after it by an approver, each
    under the loan's own separation of duties."""
    from loans.checks.people import approver_independent, reviewer_independent

    extension = _extension(ctx)
    if extension is None or not extension.pending:
        return passed()
    if extension.status == ExtensionStatus.REQUESTED:
        if Role.REVIEWER not in ctx.actor.roles:
            return failed(_("In review, a reviewer declines the extension."))
        return reviewer_independent.function(ctx)
    if Role.APPROVER not in ctx.actor.roles:
        return failed(_("After review, an approver declines the extension."))
    return approver_independent.function(ctx)


def _endorser(ctx: CheckContext) -> int | None:
    extension = _extension(ctx)
    return extension.endorsed_by_id if extension is not None else None


@check(
    code="extension_approver_authority",
    title=_("The loan's amount is within the approver's authority"),
    clause="approval.authority",
    kind=CheckKind.PERSON,
)
def extension_approver_authority(ctx: CheckContext) -> Outcome:
    """The authority the loan itself needed: one approver of the amount's tier, or above the
    top tier one top-level approver endorsing and another approving."""
    from loans.checks.people import authority_for_amount

    def endorsed_by_another() -> bool:
        endorser = _endorser(ctx)
        return endorser is not None and endorser != ctx.actor.pk

    return authority_for_amount(ctx, endorsed_by_another=endorsed_by_another)


@check(
    code="extension_endorsement_allowed",
    title=_("A first top-level approver may endorse this extension"),
    clause="approval.authority",
    kind=CheckKind.PERSON,
)
def extension_endorsement_allowed(ctx: CheckContext) -> Outcome:
    from loans.checks.people import endorsement_open

    return endorsement_open(
        ctx,
        endorsed=_endorser(ctx) is not None,
        already=_("The extension is already endorsed; a second approver now approves it."),
    )
