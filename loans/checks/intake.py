"""Checks for leaving intake: who the borrower is and what the application says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.checks.facts import file_facts
from loans.personal_data import PersonalField, mask
from loans.states import APPLICATION_FIELDS
from workflow.checks import (
    CheckContext,
    Message,
    Outcome,
    check,
    failed,
    lazy_join,
    passed,
)

if TYPE_CHECKING:
    from loans.models import Loan


@check(
    code="identity_valid",
    title=_("The borrower's identity number is valid"),
    clause="intake.identity",
)
def identity_valid(ctx: CheckContext) -> Outcome:
    borrower = ctx.obj.borrower
    if borrower.identity_is_valid:
        return passed()
    return failed(
        _("The identity number %(number)s of %(name)s is not valid."),
        number=mask(borrower.id_number, PersonalField.ID_NUMBER),
        name=borrower.name,
    )


def _verbose_name(loan: Loan, name: str) -> Message:
    field = loan._meta.get_field(name)
    return field.verbose_name if isinstance(field, models.Field) else name


@check(
    code="application_complete",
    title=_("The application is complete"),
    clause="intake.application",
)
def application_complete(ctx: CheckContext) -> Outcome:
    loan: Loan = ctx.obj
    missing = [
        _verbose_name(loan, name)
        for name in APPLICATION_FIELDS
        if getattr(loan, name) in (None, "")
    ]
    if missing:
        return failed(_("The application lacks: %(fields)s."), fields=lazy_join(missing))
    return passed()


@check(
    code="within_product_limits",
    title=_("Amount and term are within the product's limits"),
    clause="intake.product-limits",
)
def within_product_limits(ctx: CheckContext) -> Outcome:
    loan: Loan = ctx.obj
    product = loan.product
    if product is None or loan.amount is None or loan.term_months is None:
        return failed(_("Product, amount and term are needed to compare with the limits."))
    limits = {
        "product": product.name,
        "amount": f"{loan.amount:,.2f}",
        "low": f"{product.min_amount:,.2f}",
        "high": f"{product.max_amount:,.2f}",
        "term": loan.term_months,
        "term_low": product.min_term_months,
        "term_high": product.max_term_months,
    }
    amount_ok = product.amount_in_range(loan.amount)
    term_ok = product.term_in_range(loan.term_months)
    if not amount_ok and not term_ok:
        return failed(
            _(
                "%(product)s lends %(low)s–%(high)s over %(term_low)s–%(term_high)s months; "
                "the application asks %(amount)s over %(term)s months."
            ),
            **limits,
        )
    if not amount_ok:
        return failed(
            _("%(product)s lends %(low)s–%(high)s; the application asks %(amount)s."), **limits
        )
    if not term_ok:
        return failed(
            _("%(product)s runs %(term_low)s–%(term_high)s months; the application asks %(term)s."),
            **limits,
        )
    return passed()


@check(
    code="interview_recorded",
    reads=("file_interviews",),
    title=_("A face-to-face interview is on file"),
    clause="intake.interview",
)
def interview_recorded(ctx: CheckContext) -> Outcome:
    if file_facts(ctx)["file_interviews"]:
        return passed()
    return failed(_("No face-to-face interview with the borrower has been recorded."))


@check(
    code="borrower_not_blocked",
    reads=("file_blocked", "file_blocked_reason"),
    title=_("The borrower is not on the blocked-borrower list"),
    clause="intake.blocked-list",
)
def borrower_not_blocked(ctx: CheckContext) -> Outcome:
    facts = file_facts(ctx)
    if not facts["file_blocked"]:
        return passed()
    return failed(_("The borrower is blocked: %(reason)s"), reason=facts["file_blocked_reason"])


@check(
    code="credit_authorisation_on_file",
    reads=("file_credit_authorisations",),
    title=_("The borrower consented in writing to the credit-report query"),
    clause="intake.credit-consent",
)
def credit_authorisation_on_file(ctx: CheckContext) -> Outcome:
    if file_facts(ctx)["file_credit_authorisations"]:
        return passed()
    return failed(
        _(
            "No written consent of the borrower to query their credit report for this "
            "application is on file."
        )
    )
