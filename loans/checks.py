"""The mandatory checks of the loan process. Which transition runs which: loans/workflow.py.

Each check is a pure function of the context (loan, actor, payload, policy, time). Clauses cite
the section of the lending policy (DOMAIN.md) that the check enforces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import ReturnReason
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
    from loans.models import Loan

# --- intake → site visit -----------------------------------------------------------------------


@check(
    code="identity_valid",
    title=_("The borrower's identity number is valid"),
    clause="§3 intake: borrower identity valid (GB 11643 / GB 32100 check character)",
)
def identity_valid(ctx: CheckContext) -> Outcome:
    borrower = ctx.obj.borrower
    if borrower.identity_is_valid:
        return passed()
    return failed(
        _("The identity number %(number)s of %(name)s is not valid."),
        number=borrower.id_number,
        name=borrower.name,
    )


APPLICATION_FIELDS = (
    "product",
    "amount",
    "term_months",
    "purpose",
    "repayment_method",
    "guarantee_type",
    "industry",
)


def _verbose_name(loan: Loan, name: str) -> Message:
    field = loan._meta.get_field(name)
    return field.verbose_name if isinstance(field, models.Field) else name


@check(
    code="application_complete",
    title=_("The application is complete"),
    clause="§3 intake: product, amount, term, purpose, repayment method, guarantee, industry",
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
    clause="§3 intake: amount and term within the product's limits",
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
    title=_("A face-to-face interview is on file"),
    clause="§3 intake: face-to-face interview recorded (personal-loan measures)",
)
def interview_recorded(ctx: CheckContext) -> Outcome:
    if ctx.obj.interviews.exists():
        return passed()
    return failed(_("No face-to-face interview with the borrower has been recorded."))


# --- site visit → review -----------------------------------------------------------------------


@check(
    code="two_investigators",
    title=_("The site visit was made by two different investigators"),
    clause="§3 site visit: two-person investigation at or above the policy threshold",
)
def two_investigators(ctx: CheckContext) -> Outcome:
    loan: Loan = ctx.obj
    visit = loan.site_visits.order_by("-visited_at", "-id").first()
    if visit is None:
        return failed(_("No site visit has been recorded."))
    amount = loan.amount or 0
    if amount < ctx.policy.two_person_threshold:
        return passed(_("One investigator suffices below the two-person threshold."))
    if visit.co_investigator_id is None or visit.co_investigator_id == visit.lead_investigator_id:
        return failed(_("The site visit needs a second, different investigator."))
    return passed()


# --- separation of duties and authority (checks on the person) ---------------------------------


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


@check(
    code="approver_authority",
    title=_("The amount is within the approver's authority"),
    clause="§3 approval: authority tiers by amount",
    kind=CheckKind.PERSON,
)
def approver_authority(ctx: CheckContext) -> Outcome:
    amount = ctx.obj.amount
    if amount is None:
        return failed(_("The loan has no amount."))
    needed = ctx.policy.required_authority(amount)
    if needed is None:
        return failed(
            _("Above CNY %(ceiling)s two approvers of level %(level)s must approve."),
            ceiling=f"{ctx.policy.top_tier[0]:,.0f}",
            level=ctx.policy.top_tier[1],
        )
    held = ctx.actor.authority_level or 0
    if held < needed:
        return failed(
            _("CNY %(amount)s needs authority level %(needed)s; you hold level %(held)s."),
            amount=f"{amount:,.2f}",
            needed=needed,
            held=held,
        )
    return passed()


# --- disbursement → post-loan ------------------------------------------------------------------


@check(
    code="contract_signed",
    title=_("The contract is signed face to face with a witness"),
    clause="§3 disbursement: contract signed face to face (面签) with witness",
)
def contract_signed(ctx: CheckContext) -> Outcome:
    contract = getattr(ctx.obj, "contract", None)
    if contract is None:
        return failed(_("No contract has been recorded."))
    if not contract.is_signed:
        return failed(
            _("The contract %(number)s is not signed face to face with a witness."),
            number=contract.number,
        )
    return passed()


# --- returns, rejections, withdrawals ----------------------------------------------------------


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
