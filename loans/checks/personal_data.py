"""Checks of a reveal of a personal fact: what it names, and whether this person needs it.

Who needs a full value (docs/security.md, "Personal data"): the loan's account manager (or a
delegate the branch head named), who meets and calls the borrower and checks the identity card;
and, while the loan is paid out and repaid, a disbursement officer not involved earlier, who pays
to an account and matches the borrower's identity at signing. Every other role works from the
masked value.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.checks.people import disbursement_officer_independent, loan_owner
from loans.personal_data import RECORD_FIELDS, PersonalField
from loans.roles import Role
from loans.states import LoanState
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, input_check, passed

# The stages in which a disbursement officer pays out and records repayments.
PAYING_STATES = frozenset({LoanState.DISBURSEMENT, LoanState.POST_LOAN})


def _named(ctx: CheckContext) -> Outcome:
    field = ctx.payload.get("field")
    if field not in PersonalField.values:
        return failed(_("Choose the fact to show."))
    if field in RECORD_FIELDS:
        record = ctx.payload.get("record")
        if record is None or record._meta.label != RECORD_FIELDS[field]:
            return failed(_("Choose the record whose fact to show."))
        if record.loan_id != ctx.obj.pk:
            return failed(_("Choose a record of this loan."))
    return passed()


reveal_named = input_check(
    "field",
    code="reveal_named",
    title=_("The fact to show is named"),
    clause="privacy.minimum-access",
    function=_named,
)


@check(
    code="needs_personal_data",
    title=_("The person needs the full value for their work on this loan"),
    clause="privacy.minimum-access",
    kind=CheckKind.PERSON,
    reads=loan_owner.reads | disbursement_officer_independent.reads,
)
def needs_personal_data(ctx: CheckContext) -> Outcome:
    if loan_owner.function(ctx).passed:
        return passed()
    if Role.DISBURSEMENT_OFFICER in ctx.actor.roles and ctx.obj.state in PAYING_STATES:
        return disbursement_officer_independent.function(ctx)
    return failed(
        _(
            "Only the loan's account manager (or their delegate), and a disbursement officer "
            "while the loan is paid out and repaid, may see the full value."
        )
    )
