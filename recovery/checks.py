"""The checks of the collection process: small named functions of a step's context.

Each has a stable code, a reason in both languages and the clause it enforces (docs/collections.md
lists them). ``person`` checks judge who acts (a failure is ``wrong_person``); ``input`` checks
judge what was typed (a form error, never a deviation).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.choices import RiskClass
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

# Top-level approvers: the highest authority tier (DOMAIN.md §3, "two level-3 approvers").
TOP_AUTHORITY_LEVEL = 3
ENDORSEMENTS_NEEDED = 2
BANK_POLICY = "Bank policy: collections (docs/collections.md)"
CLASSIFICATION = (
    "Risk classification measures 2023 No. 1, art. 6; bank policy: write-off (docs/collections.md)"
)


def _contacts(ctx: CheckContext) -> list[Any]:
    return ctx.once(
        "recovery.contacts", lambda: list(ctx.obj.contact_attempts.values("reached", "made_by_id"))
    )


def _endorsers(ctx: CheckContext) -> set[int]:
    return ctx.once(
        "recovery.endorsers",
        lambda: set(ctx.obj.endorsements.values_list("approver_id", flat=True)),
    )


@check(
    code="case_owner",
    title=_("You are the case's account manager"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def case_owner(ctx: CheckContext) -> Outcome:
    if ctx.actor is not None and ctx.actor.pk == ctx.obj.account_manager_id:
        return passed()
    return failed(_("Only the case's account manager works this collection case."))


@check(code="contact_logged", title=_("The borrower was reached"), clause=BANK_POLICY)
def contact_logged(ctx: CheckContext) -> Outcome:
    if any(attempt["reached"] for attempt in _contacts(ctx)):
        return passed()
    return failed(_("Log a contact attempt that reached the borrower first."))


@check(
    code="loan_in_loss_class",
    title=_("The loan is classified as loss"),
    clause=CLASSIFICATION,
)
def loan_in_loss_class(ctx: CheckContext) -> Outcome:
    if ctx.obj.loan.risk_class == RiskClass.LOSS:
        return passed()
    return failed(
        _("Only a loan classified as loss may be proposed for write-off; this one is %(cls)s."),
        cls=RiskClass(ctx.obj.loan.risk_class).label,
    )


@check(code="arrears_cleared", title=_("The arrears are cleared"), clause=BANK_POLICY)
def arrears_cleared(ctx: CheckContext) -> Outcome:
    loan = ctx.obj.loan
    if loan.days_past_due == 0 or loan.outstanding_balance == 0:
        return passed()
    return failed(
        _("The loan is still %(days)s days past due: a case is resolved when it is paid up."),
        days=loan.days_past_due,
    )


@check(
    code="top_level_approver",
    title=_("You are a top-level approver"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def top_level_approver(ctx: CheckContext) -> Outcome:
    if (getattr(ctx.actor, "authority_level", None) or 0) >= TOP_AUTHORITY_LEVEL:
        return passed()
    return failed(_("A write-off is endorsed by approvers of the top authority level only."))


@check(
    code="endorser_not_repeated",
    title=_("You have not endorsed this write-off yet"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def endorser_not_repeated(ctx: CheckContext) -> Outcome:
    if ctx.actor is not None and ctx.actor.pk in _endorsers(ctx):
        return failed(_("You have endorsed this write-off already: two different approvers must."))
    return passed()


@check(
    code="endorser_independent",
    title=_("You do not work this case"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def endorser_independent(ctx: CheckContext) -> Outcome:
    if ctx.actor is not None and ctx.actor.pk == ctx.obj.account_manager_id:
        return failed(_("The case's account manager cannot endorse its write-off."))
    return passed()


@check(
    code="two_endorsements",
    title=_("Two top-level approvers endorsed the write-off"),
    clause=BANK_POLICY,
)
def two_endorsements(ctx: CheckContext) -> Outcome:
    found = len(_endorsers(ctx))
    if found >= ENDORSEMENTS_NEEDED:
        return passed()
    return failed(
        _("%(found)s of %(needed)s endorsements by different top-level approvers."),
        found=found,
        needed=ENDORSEMENTS_NEEDED,
    )


@check(
    code="head_not_endorser",
    title=_("You did not endorse this write-off"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def head_not_endorser(ctx: CheckContext) -> Outcome:
    if ctx.actor is not None and (
        ctx.actor.pk in _endorsers(ctx) or ctx.actor.pk == ctx.obj.account_manager_id
    ):
        return failed(
            _("The branch head who writes off is a third person, not an endorser or the owner.")
        )
    return passed()


@check(
    code="reviewer_independent_of_case",
    title=_("You do not work this case"),
    clause=BANK_POLICY,
    kind=CheckKind.PERSON,
)
def reviewer_independent_of_case(ctx: CheckContext) -> Outcome:
    if ctx.actor is not None and ctx.actor.pk == ctx.obj.account_manager_id:
        return failed(_("The case's account manager cannot accept its own restructuring."))
    return passed()


# --- what is typed with a step ----------------------------------------------------------------

comment_given = text_given(
    "comment",
    code="case_comment_given",
    title=_("A comment says why"),
    clause=BANK_POLICY,
    prompt=_("Say why, in at least %(count)s characters."),
    minimum=5,
)


def _amount(ctx: CheckContext) -> Outcome:
    try:
        amount = Decimal(str(ctx.payload.get("promised_amount", "")))
    except InvalidOperation:
        return failed(_("Give the amount promised."))
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return failed(_("Give a positive amount in yuan and fen."))
    return passed()


def _day(ctx: CheckContext) -> Outcome:
    try:
        day = date.fromisoformat(str(ctx.payload.get("promised_date", "")))
    except ValueError:
        return failed(_("Give the date by which the borrower promised to pay."))
    if day < timezone.localdate(ctx.now):
        return failed(_("A promise is to pay today or later."))
    return passed()


promised_amount_given = input_check(
    "promised_amount",
    code="promised_amount_given",
    title=_("The amount promised"),
    clause=BANK_POLICY,
    function=_amount,
)
promised_date_given = input_check(
    "promised_date",
    code="promised_date_given",
    title=_("The date promised"),
    clause=BANK_POLICY,
    function=_day,
)


def _contact_moment(ctx: CheckContext) -> Outcome:
    moment = ctx.payload.get("contacted_at")
    if moment is None:
        return failed(_("Give when the contact was made."))
    if moment > ctx.now:
        return failed(_("A contact cannot be in the future."))
    opened = timezone.localtime(ctx.obj.opened_at).replace(hour=0, minute=0, second=0)
    if moment < opened:
        return failed(_("A contact of this case is not before the case opened."))
    return passed()


contact_dated = input_check(
    "contacted_at",
    code="contact_dated",
    title=_("The contact is dated within the case"),
    clause=BANK_POLICY,
    function=_contact_moment,
)
contact_notes_given = text_given(
    "notes",
    code="contact_notes_given",
    title=_("What was said is noted"),
    clause=BANK_POLICY,
    prompt=_("Note what was said, in at least %(count)s characters."),
    minimum=5,
)
endorsement_note_given = text_given(
    "note",
    code="endorsement_note_given",
    title=_("The endorsement says why"),
    clause=BANK_POLICY,
    prompt=_("Say why, in at least %(count)s characters."),
    minimum=5,
)
