"""Checks for leaving review: the credit report, the reviewer's assessment, portfolio structure."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.checks.facts import file_facts
from workflow.checks import CheckContext, Message, Outcome, Severity, check, failed, passed


@check(
    code="credit_report_checked",
    reads=("file_credit_reports",),
    title=_("The credit report was checked and its result recorded"),
    clause="review.credit-report",
)
def credit_report_checked(ctx: CheckContext) -> Outcome:
    if file_facts(ctx)["file_credit_reports"]:
        return passed()
    return failed(_("No credit report result has been recorded."))


@check(
    code="review_written",
    reads=("file_round_reviewer",),
    title=_("Debt-to-income, risk score and the reviewer's opinion are written"),
    clause="review.assessment",
)
def review_written(ctx: CheckContext) -> Outcome:
    reviewer = file_facts(ctx)["file_round_reviewer"]
    if reviewer is None:
        return failed(_("No review has been written in this round of review."))
    if reviewer != ctx.actor.pk:
        return failed(_("The review on file was written by someone else; write your own."))
    return passed()


@check(
    code="portfolio_limits",
    title=_("The branch's portfolio stays within the concentration limits"),
    clause="review.portfolio-limits",
    severity=Severity.SOFT,
)
def portfolio_limits(ctx: CheckContext) -> Outcome:
    from loans.portfolio import position

    breaches = position(ctx.obj, ctx.policy).breaches
    if not breaches:
        return passed()
    worst = max(breaches, key=lambda c: c.share - c.limit)
    return failed(
        _BREACH_MESSAGES[worst.dimension],
        key=_key_label(worst.dimension, worst.key),
        share=f"{worst.share:.1%}",
        limit=f"{worst.limit:.0%}",
    )


_BREACH_MESSAGES = {
    "industry": _(
        "With this loan, the industry %(key)s would be %(share)s of the branch's credit "
        "(limit %(limit)s)."
    ),
    "guarantee_type": _(
        "With this loan, the guarantee type %(key)s would be %(share)s of the "
        "branch's credit (limit %(limit)s)."
    ),
    "group": _(
        "With this loan, the borrower group %(key)s would be %(share)s of the branch's "
        "credit (limit %(limit)s)."
    ),
}


def _key_label(dimension: str, key: str) -> Message:
    from loans.choices import GuaranteeType, Industry

    choices = {"industry": Industry, "guarantee_type": GuaranteeType}.get(dimension)
    return choices(key).label if choices else key


@check(
    code="single_borrower_limit",
    title=_("The borrower's credit stays within the single-borrower limit"),
    clause="review.single-borrower",
)
def single_borrower_limit(ctx: CheckContext) -> Outcome:
    from loans.portfolio import borrower_credit

    credit = borrower_credit(ctx.obj)
    if credit <= ctx.policy.single_borrower_limit:
        return passed()
    return failed(
        _("The borrower's credit would be CNY %(credit)s, above the limit of CNY %(limit)s."),
        credit=f"{credit:,.2f}",
        limit=f"{ctx.policy.single_borrower_limit:,.2f}",
    )
