"""Checks for releasing funds: contract, conditions, expiry and how the money goes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.checks.facts import CONTRACT, file_facts, latest_contract
from loans.choices import DirectPaymentGround, PaymentMethod
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, lazy_join, passed

if TYPE_CHECKING:
    from loans.models import Drawdown


def drawdowns(ctx: CheckContext) -> list[Drawdown]:
    """The loan's drawdowns in force, read once for the checks of a step (and its payment)."""
    return ctx.once("drawdowns", lambda: list(ctx.obj.drawdowns.all()))


@check(
    code="contract_signed",
    reads=(CONTRACT,),
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
    reads=("file_open_conditions",),
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


def payment_problem(
    *, amount: Decimal, method: str, ground: str, names_counterparty: bool, policy: Any
) -> Outcome:
    """Whether one drawdown may be paid as described: by entrusted payment to a named
    counterparty (the default), or to the borrower's own account on a ground the bank consents
    to, within that ground's limit."""
    if method == PaymentMethod.ENTRUSTED:
        if not names_counterparty:
            return failed(_("Entrusted payment names the counterparty and its account."))
        if ground:
            return failed(_("Entrusted payment needs no ground for direct payment."))
        return passed()
    if ground not in DirectPaymentGround.values:
        return failed(
            _(
                "Payment goes by entrusted payment to a named counterparty; paying the borrower "
                "directly needs one of the grounds the bank consents to (%(grounds)s)."
            ),
            grounds=lazy_join([label for _value, label in DirectPaymentGround.choices]),
        )
    limit = policy.direct_payment_limit(ground)
    if limit is not None and amount > limit:
        return failed(
            _(
                "Paid directly because %(ground)s, a drawdown is at most CNY %(limit)s; CNY "
                "%(amount)s goes by entrusted payment."
            ),
            ground=DirectPaymentGround(ground).label,
            limit=f"{limit:,.2f}",
            amount=f"{amount:,.2f}",
        )
    return passed()


@check(
    code="entrusted_payment",
    title=_("Drawdowns go by entrusted payment, or directly on a consented ground"),
    clause="disbursement.entrusted-payment",
)
def entrusted_payment(ctx: CheckContext) -> Outcome:
    for drawdown in (d for d in drawdowns(ctx) if d.paid_at is None):
        outcome = payment_problem(
            amount=drawdown.amount,
            method=drawdown.method,
            ground=drawdown.direct_payment_ground,
            names_counterparty=drawdown.names_counterparty,
            policy=ctx.policy,
        )
        if not outcome.passed:
            return outcome
    return passed()


@check(
    code="no_split_drawdowns",
    title=_("No split drawdowns dodge the limit of direct payment"),
    clause="disbursement.no-split",
)
def no_split_drawdowns(ctx: CheckContext) -> Outcome:
    from loans.models import Drawdown

    loan = ctx.obj
    policy = ctx.policy
    since = ctx.now - timedelta(days=policy.split_window_days)
    pending = [
        d for d in drawdowns(ctx) if d.paid_at is None and d.method == PaymentMethod.OWN_ACCOUNT
    ]
    for ground in sorted({d.direct_payment_ground for d in pending}):
        limit = policy.direct_payment_limit(ground)
        if limit is None:
            continue
        # Direct payments paid before the grounds were recorded count against every limit.
        paid = Drawdown.objects.filter(
            loan__borrower_id=loan.borrower_id,
            method=PaymentMethod.OWN_ACCOUNT,
            direct_payment_ground__in=[ground, ""],
            paid_at__gte=since,
        )
        together = [*paid, *(d for d in pending if d.direct_payment_ground == ground)]
        total = sum((d.amount for d in together), Decimal(0))
        # One large drawdown is the entrusted-payment check's concern; this one catches pieces.
        if len(together) > 1 and total > limit:
            return failed(
                _(
                    "Paid to the borrower's own account within %(days)s days, the drawdowns would "
                    "add up to CNY %(total)s, above the CNY %(limit)s a direct payment may be."
                ),
                days=policy.split_window_days,
                total=f"{total:,.2f}",
                limit=f"{limit:,.2f}",
            )
    return passed()


@check(
    code="payment_method_allowed",
    title=_("The drawdown goes by entrusted payment, or directly on a consented ground"),
    clause="disbursement.entrusted-payment",
    kind=CheckKind.INPUT,
    field="direct_payment_ground",
)
def payment_method_allowed(ctx: CheckContext) -> Outcome:
    """As a drawdown is requested or corrected: the same rule as ``entrusted_payment``."""
    from loans.checks.entry import entered

    amount, method = entered(ctx, "amount"), entered(ctx, "method")
    if amount is None or not method:
        return passed()
    name = str(entered(ctx, "counterparty_name") or "").strip()
    account = str(entered(ctx, "counterparty_account") or "").strip()
    return payment_problem(
        amount=amount,
        method=method,
        ground=entered(ctx, "direct_payment_ground") or "",
        names_counterparty=bool(name and account),
        policy=ctx.policy,
    )
