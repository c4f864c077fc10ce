"""Checks on a guarantor (保证人) recorded in the loan's file: who they are, and that they are not
the borrower. The amount and the contract's date are checked with the other entered values
(loans/checks/entry.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from loans.choices import GuarantorKind
from loans.validators import (
    normalise_resident_id,
    normalise_uscc,
    validate_resident_id,
    validate_uscc,
)
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, input_check, passed


def _typed(ctx: CheckContext, name: str) -> Any:
    """The guarantor's ``name`` as it will be: typed now, else the corrected record's."""
    if name in ctx.payload:
        return ctx.payload[name]
    record = ctx.payload.get("record")
    return getattr(record, name, None) if record is not None else None


def guarantor_number(ctx: CheckContext) -> str:
    """The guarantor's identity number as it will be stored (normalised for its kind)."""
    number = str(_typed(ctx, "id_number") or "")
    if _typed(ctx, "kind") == GuarantorKind.COMPANY:
        return normalise_uscc(number)
    return normalise_resident_id(number)


def _identity_valid(ctx: CheckContext) -> Outcome:
    kind, number = _typed(ctx, "kind"), guarantor_number(ctx)
    if kind is None or not number:
        return passed()  # nothing typed yet: the form asks for it
    validator = validate_uscc if kind == GuarantorKind.COMPANY else validate_resident_id
    try:
        validator(number)
    except ValidationError as error:
        return failed(error.messages[0])
    return passed()


guarantor_identity_valid = input_check(
    "id_number",
    code="guarantor_identity_valid",
    title=_(
        "The guarantor's identity number is valid: a resident ID number for a person, a unified "
        "social credit code for a company"
    ),
    clause="visit.guarantor",
    function=_identity_valid,
)


@check(
    code="guarantor_not_borrower",
    title=_("The guarantor is not the borrower"),
    clause="visit.guarantor",
    kind=CheckKind.REQUIREMENT,
)
def guarantor_not_borrower(ctx: CheckContext) -> Outcome:
    number = guarantor_number(ctx)
    if number and number == ctx.obj.borrower.id_number.upper():
        return failed(
            _("The borrower cannot guarantee their own loan: name a third party as guarantor.")
        )
    return passed()
