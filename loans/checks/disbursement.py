"""Checks for releasing funds: contract, conditions, expiry and how the money goes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.checks.facts import file_facts, latest_contract
from loans.choices import PaymentMethod
from workflow.checks import CheckContext, Outcome, check, failed, passed

if TYPE_CHECKING:
    from loans.models import Drawdown


def drawdowns(ctx: CheckContext) -> list[Drawdown]:
    """The loan's drawdowns in force, read once for the checks of a step (and its payment)."""
    return ctx.once("drawdowns", lambda: list(ctx.obj.drawdowns.all()))


@check(
    code="contract_signed",
    title=_("The contract is signed face to face with a witness"),
    clause="disbursement.signing",
)
def contract_signed(ctx: CheckContext) -> Outcome:
    contract = latest_contract(ctx)
    if contract is None:
        return failed(_("No contract has been recorded."))
    if not contract.is_signed:
        return failed(
            _("The contract %(number)s is not signed face to face with a witness."),
            number=contract.number,
        )
    return passed()


@check(
    code="conditions_fulfilled",
    title=_("Every approval condition is fulfilled"),
    clause="disbursement.conditions",
)
def conditions_fulfilled(ctx: CheckContext) -> Outcome:
    if not file_facts(ctx)["file_open_conditions"]:
        return passed()
    open_conditions = list(
        ctx.obj.approval_conditions.filter(fulfilled_at__isnull=True).values_list("text", flat=True)
    )
    if open_conditions:
        return failed(
            _("Conditions not yet fulfilled: %(conditions)s."),
            conditions="; ".join(open_conditions),
        )
    return passed()


@check(
    code="approval_not_expired",
    title=_("The approval has not expired"),
    clause="disbursement.approval-expiry",
)
def approval_not_expired(ctx: CheckContext) -> Outcome:
    approved_at = ctx.obj.approved_at
    if approved_at is None:
        return failed(_("The loan has no approval."))
    expires = approved_at + timedelta(days=ctx.policy.approval_expiry_days)
    if ctx.now > expires:
        return failed(
            _("The approval expired on %(date)s; the loan must be approved again."),
            date=f"{timezone.localtime(expires):%Y-%m-%d}",
        )
    return passed()


@check(
    code="drawdowns_ready",
    title=_("The drawdowns to pay are recorded and within the loan amount"),
    clause="disbursement.within-amount",
)
def drawdowns_ready(ctx: CheckContext) -> Outcome:
    loan = ctx.obj
    pending = [d for d in drawdowns(ctx) if d.paid_at is None]
    if not pending:
        return failed(_("No drawdown is waiting to be paid."))
    total = sum((d.amount for d in drawdowns(ctx)), Decimal(0))
    if total > (loan.amount or 0):
        return failed(
            _("The drawdowns add up to CNY %(total)s, above the loan of CNY %(amount)s."),
            total=f"{total:,.2f}",
            amount=f"{loan.amount:,.2f}",
        )
    return passed()


@check(
    code="entrusted_payment",
    title=_("Large drawdowns go by entrusted payment to a named counterparty"),
    clause="disbursement.entrusted-payment",
)
def entrusted_payment(ctx: CheckContext) -> Outcome:
    threshold = ctx.policy.entrusted_payment_threshold
    for drawdown in (d for d in drawdowns(ctx) if d.paid_at is None):
        large = drawdown.amount > threshold
        entrusted = drawdown.method == PaymentMethod.ENTRUSTED
        if (large and not entrusted) or (entrusted and not drawdown.names_counterparty):
            return failed(
                _(
                    "A drawdown of CNY %(amount)s must be paid by entrusted payment to a named "
                    "counterparty (threshold CNY %(threshold)s)."
                ),
                amount=f"{drawdown.amount:,.2f}",
                threshold=f"{threshold:,.2f}",
            )
    return passed()


@check(
    code="no_split_drawdowns",
    title=_("No split drawdowns dodge the entrusted-payment threshold"),
    clause="disbursement.no-split",
)
def no_split_drawdowns(ctx: CheckContext) -> Outcome:
    from loans.models import Drawdown

    loan = ctx.obj
    policy = ctx.policy
    since = ctx.now - timedelta(days=policy.split_window_days)
    paid = Drawdown.objects.filter(
        loan__borrower_id=loan.borrower_id, method=PaymentMethod.OWN_ACCOUNT, paid_at__gte=since
    )
    pending = [
        d for d in drawdowns(ctx) if d.paid_at is None and d.method == PaymentMethod.OWN_ACCOUNT
    ]
    together = [*paid, *pending]
    total = sum((d.amount for d in together), Decimal(0))
    # One large drawdown is the entrusted-payment check's concern; this one catches pieces.
    if pending and len(together) > 1 and total > policy.entrusted_payment_threshold:
        return failed(
            _(
                "Paid to the borrower's own account within %(days)s days, the drawdowns would add "
                "up to CNY %(total)s, above the entrusted-payment threshold of CNY %(threshold)s."
            ),
            days=policy.split_window_days,
            total=f"{total:,.2f}",
            threshold=f"{policy.entrusted_payment_threshold:,.2f}",
        )
    return passed()
