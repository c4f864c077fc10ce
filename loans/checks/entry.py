"""Checks on values as they are entered, so a value that would block the loan later is refused at
once as a form error: dates, amounts, and the people a record names.

Every date rule compares **calendar days in the bank's time zone** (``TIME_ZONE``, by default
Asia/Shanghai): a visit at 09:00 Beijing time on the application's day is on that day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import MAXYEAR, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.roles import Capacity, Role
from workflow.checks import (
    Check,
    CheckContext,
    CheckKind,
    Message,
    Outcome,
    check,
    failed,
    input_check,
    passed,
)


def entered(ctx: CheckContext, name: str) -> Any:
    """The value of ``name`` as it will be: typed now, else the corrected record's, else the
    loan's (for an application edit)."""
    if name in ctx.payload:
        return ctx.payload[name]
    record = ctx.payload.get("record")
    if record is not None:
        return getattr(record, name, None)
    return getattr(ctx.obj, name, None)


def local_day(value: date | datetime) -> date:
    """The bank's calendar day of a moment (a date is its own day).

    A moment typed at the calendar's edge (``9999-12-31T23:59:59Z``, ``0001-01-01T00:00+14:00``)
    has no local day in Python's calendar: it is counted on the last or the first day there is,
    so a check compares it (far in the future, far in the past) instead of crashing.
    """
    if not isinstance(value, datetime):
        return value
    if timezone.is_naive(value):
        return value.date()
    try:
        return timezone.localdate(value)
    except OverflowError:
        return date.max if value.year == MAXYEAR else date.min


def _day(value: date | datetime) -> str:
    return local_day(value).isoformat()


# The days a moment in a loan's file may fall on: from 2000 to tomorrow (a day of slack for a
# client's clock; whether it is in the future the stage's own checks decide, to the day).
EARLIEST_DAY = date(2000, 1, 1)


def validate_record_day(value: date | datetime) -> None:
    """Refuse a date or moment outside the days a loan's file can hold: a typing error (year 1,
    year 9999) that no check could judge and the database could not store."""
    if not EARLIEST_DAY <= local_day(value) <= timezone.localdate() + timedelta(days=1):
        raise ValidationError(
            _("Give a date between %(earliest)s and tomorrow."),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DAY.isoformat()},
        )


Floor = Callable[[Any], "datetime | None"]  # the moment a date may not be before, from the loan


def dated(
    field: str,
    *,
    code: str,
    title: Message,
    clause: str,
    not_before: Floor | None = None,
    floor_name: Message = "",
) -> Check:
    """An input check: the day of ``field`` is not after today and not before ``not_before``."""

    def function(ctx: CheckContext) -> Outcome:
        value = entered(ctx, field)
        if value is None:
            return passed()
        if local_day(value) > local_day(ctx.now):
            return failed(_("%(date)s is in the future."), date=_day(value))
        floor = not_before(ctx.obj) if not_before else None
        if floor is not None and local_day(value) < local_day(floor):
            return failed(
                _("%(date)s is before %(event)s (%(floor)s)."),
                date=_day(value),
                event=floor_name,
                floor=_day(floor),
            )
        return passed()

    return input_check(field, code=code, title=title, clause=clause, function=function)


def applied(loan: Any) -> datetime | None:
    return loan.created_at  # type: ignore[no-any-return]


def disbursed(loan: Any) -> datetime | None:
    return loan.disbursed_at  # type: ignore[no-any-return]


THE_APPLICATION = _("the application")
THE_DISBURSEMENT = _("the disbursement")

interview_dated = dated(
    "held_at",
    code="interview_dated",
    title=_("The interview is dated on or after the application, not in the future"),
    clause="intake.interview",
    not_before=applied,
    floor_name=THE_APPLICATION,
)
authorisation_dated = dated(
    "signed_at",
    code="authorisation_dated",
    title=_("The authorisation is not dated in the future"),
    clause="intake.credit-consent",
)


@check(
    code="consent_in_writing",
    title=_("The borrower's consent to the query is in writing and states its purpose"),
    clause="intake.credit-consent",
    kind=CheckKind.INPUT,
    field="written_consent",
)
def consent_in_writing(ctx: CheckContext) -> Outcome:
    record = ctx.payload.get("record")  # a correction keeps what it does not retype

    def typed(name: str) -> object:
        return ctx.payload[name] if name in ctx.payload else getattr(record, name, None)

    if typed("written_consent") is True and typed("purpose"):
        return passed()
    return failed(
        _(
            "The credit report is queried only with the borrower's written consent: confirm it "
            "is signed, and choose what it is for."
        )
    )


visit_dated = dated(
    "visited_at",
    code="visit_dated",
    title=_("The visit is dated on or after the application, not in the future"),
    clause="visit.dated",
    not_before=applied,
    floor_name=THE_APPLICATION,
)
valuation_dated = dated(
    "valued_at",
    code="valuation_dated",
    title=_("The valuation is not dated in the future"),
    clause="visit.collateral",
)
guarantee_dated = dated(
    "signed_on",
    code="guarantee_dated",
    title=_("The guarantee contract is not dated in the future"),
    clause="visit.guarantor",
)
contract_dated = dated(
    "signed_at",
    code="contract_dated",
    title=_("The contract is signed on or after the application, not in the future"),
    clause="disbursement.signing",
    not_before=applied,
    floor_name=THE_APPLICATION,
)
inspection_dated = dated(
    "inspected_at",
    code="inspection_dated",
    title=_("The inspection is dated on or after the disbursement, not in the future"),
    clause="post-loan.inspection-dated",
    not_before=disbursed,
    floor_name=THE_DISBURSEMENT,
)
repayment_dated = dated(
    "paid_at",
    code="repayment_dated",
    title=_("The repayment is dated on or after the disbursement, not in the future"),
    clause="post-loan.repayment",
    not_before=disbursed,
    floor_name=THE_DISBURSEMENT,
)


def _positive(field: str, *, code: str, title: Message, clause: str, zero_ok: bool) -> Check:
    def function(ctx: CheckContext) -> Outcome:
        value = entered(ctx, field)
        if value is None or value > 0 or (zero_ok and value == 0):
            return passed()
        if zero_ok:
            return failed(_("The amount cannot be negative."))
        return failed(_("The amount must be above zero."))

    return input_check(field, code=code, title=title, clause=clause, function=function)


income_positive = _positive(
    "monthly_income",
    code="income_positive",
    title=_("The monthly income is above zero"),
    clause="review.assessment",
    zero_ok=False,
)
debt_payments_not_negative = _positive(
    "monthly_debt_payments",
    code="debt_payments_not_negative",
    title=_("The monthly debt payments are not negative"),
    clause="review.assessment",
    zero_ok=True,
)
collateral_value_positive = _positive(
    "value",
    code="collateral_value_positive",
    title=_("The collateral's value is above zero"),
    clause="visit.collateral",
    zero_ok=False,
)
guarantee_amount_positive = _positive(
    "amount",
    code="guarantee_amount_positive",
    title=_("The amount guaranteed is above zero"),
    clause="visit.guarantor",
    zero_ok=False,
)


def _limits(ctx: CheckContext) -> tuple[Any, Decimal | None, int | None]:
    return entered(ctx, "product"), entered(ctx, "amount"), entered(ctx, "term_months")


@check(
    code="amount_within_product",
    title=_("The amount is within the product's limits"),
    clause="intake.product-limits",
    kind=CheckKind.INPUT,
    field="amount",
)
def amount_within_product(ctx: CheckContext) -> Outcome:
    product, amount, _term = _limits(ctx)
    if product is None or amount is None:
        return passed()
    if amount <= 0 or not product.amount_in_range(amount):
        return failed(
            _("%(product)s lends CNY %(low)s–%(high)s."),
            product=product.name,
            low=f"{product.min_amount:,.2f}",
            high=f"{product.max_amount:,.2f}",
        )
    return passed()


@check(
    code="term_within_product",
    title=_("The term is within the product's limits"),
    clause="intake.product-limits",
    kind=CheckKind.INPUT,
    field="term_months",
)
def term_within_product(ctx: CheckContext) -> Outcome:
    product, _amount, term = _limits(ctx)
    if product is None or term is None:
        return passed()
    if not product.term_in_range(term):
        return failed(
            _("%(product)s runs %(low)s–%(high)s months."),
            product=product.name,
            low=product.min_term_months,
            high=product.max_term_months,
        )
    return passed()


@check(
    code="drawdown_within_amount",
    title=_("The drawdowns stay within the approved amount"),
    clause="disbursement.within-amount",
    kind=CheckKind.INPUT,
    field="amount",
)
def drawdown_within_amount(ctx: CheckContext) -> Outcome:
    amount = entered(ctx, "amount")
    if amount is None:
        return passed()
    if amount <= 0:
        return failed(_("The amount must be above zero."))
    others = ctx.obj.drawdowns.all()
    record = ctx.payload.get("record")
    if record is not None:
        others = others.exclude(pk=record.pk)
    earlier = others.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    room = (ctx.obj.amount or Decimal(0)) - earlier
    if amount > room:
        return failed(
            _("At most CNY %(room)s remains of the approved CNY %(approved)s."),
            room=f"{max(room, Decimal(0)):,.2f}",
            approved=f"{ctx.obj.amount or 0:,.2f}",
        )
    return passed()


@check(
    code="repayment_within_balance",
    title=_("The repayment is above zero and at most the outstanding balance"),
    clause="post-loan.repayment",
    kind=CheckKind.INPUT,
    field="principal",
)
def repayment_within_balance(ctx: CheckContext) -> Outcome:
    """At most the balance; on a loan with a schedule, what is due (interest included) and the
    principal left (loans/services/servicing.py)."""
    from loans.services.servicing import most_payable

    principal = ctx.payload.get("principal")
    if principal is None:
        return passed()
    balance = ctx.obj.outstanding_balance
    paid_at = ctx.payload.get("paid_at") or ctx.now
    payable = ctx.once(
        f"most_payable:{local_day(paid_at)}",
        lambda: most_payable(ctx.obj, local_day(paid_at), ctx.policy),
    )
    if payable is not None:
        balance = payable
    if principal <= 0 or principal > balance:
        return failed(
            _("Repay more than zero and at most the outstanding CNY %(balance)s."),
            balance=f"{balance:,.2f}",
        )
    return passed()


@check(
    code="class_not_better_than_floor",
    title=_("The proposed class is not better than the days past due allow"),
    clause="classification.floors",
    kind=CheckKind.INPUT,
    field="proposed_class",
)
def class_not_better_than_floor(ctx: CheckContext) -> Outcome:
    from loans.classification import effective_floor, under_observation

    proposed = ctx.payload.get("proposed_class")
    floor = effective_floor(ctx.obj, ctx.policy, ctx.now)
    if proposed is not None and proposed < floor:
        if under_observation(ctx.obj, ctx.policy, ctx.now):
            return failed(
                _("A restructured loan under observation is at least %(floor)s."),
                floor=floor.label,
            )
        return failed(
            _("With %(days)s days past due the class is at least %(floor)s."),
            days=ctx.obj.days_past_due,
            floor=floor.label,
        )
    return passed()


def _not_a_manager_here(ctx: CheckContext, person: Any) -> Message | None:
    """Why ``person`` cannot be named as an account manager on this loan (None: they can)."""
    if person.branch_id != ctx.obj.branch_id or not person.is_active:
        return _("%(name)s is not active staff of this loan's branch.")
    if Role.ACCOUNT_MANAGER not in person.roles:
        return _("%(name)s is not an account manager.")
    return None


def _earlier_parts(ctx: CheckContext, person: Any) -> set[Capacity]:
    from loans.selectors import loan_participants

    return loan_participants(ctx.obj).get(person.pk, set())


CHECKING_PARTS = {Capacity.REVIEWER, Capacity.APPROVER, Capacity.DISBURSEMENT_OFFICER}


@check(
    code="co_investigator_eligible",
    title=_("The co-investigator is another account manager of the branch, not a checker"),
    clause="visit.two-investigators",
    kind=CheckKind.INPUT,
    field="co_investigator",
)
def co_investigator_eligible(ctx: CheckContext) -> Outcome:
    person = entered(ctx, "co_investigator")
    if person is None:
        return passed()
    name = person.get_full_name() or person.username
    lead = ctx.payload.get("record")
    lead_id = lead.lead_investigator_id if lead is not None else ctx.actor.pk
    if person.pk == lead_id:
        return failed(_("The co-investigator must be another person than the lead."))
    problem = _not_a_manager_here(ctx, person)
    if problem is not None:
        return failed(problem, name=name)
    if _earlier_parts(ctx, person) & CHECKING_PARTS:
        return failed(_("%(name)s reviewed, approved or disbursed this loan."), name=name)
    return passed()


@check(
    code="witness_independent",
    title=_("The signing witness is not the disbursement officer"),
    clause="disbursement.witness",
    kind=CheckKind.INPUT,
    field="witness",
)
def witness_independent(ctx: CheckContext) -> Outcome:
    witness = entered(ctx, "witness")
    if witness is None:
        return passed()
    if witness.pk == ctx.actor.pk or Capacity.DISBURSEMENT_OFFICER in _earlier_parts(ctx, witness):
        return failed(_("The disbursement officer cannot witness the signing."))
    if witness.branch_id != ctx.obj.branch_id or not witness.is_active:
        return failed(_("The witness must be active staff of this loan's branch."))
    return passed()


@check(
    code="contract_number_free",
    title=_("The contract number belongs to no other loan"),
    clause="disbursement.signing",
    kind=CheckKind.INPUT,
    field="number",
)
def contract_number_free(ctx: CheckContext) -> Outcome:
    from loans.models import Contract

    number = str(ctx.payload.get("number") or "").strip()
    if number and Contract.objects.filter(number=number).exclude(loan=ctx.obj).exists():
        return failed(_("Contract number %(number)s belongs to another loan."), number=number)
    return passed()


@check(
    code="condition_open",
    title=_("The condition is one of this loan's, not yet fulfilled"),
    clause="disbursement.conditions",
    kind=CheckKind.INPUT,
    field="record",
)
def condition_open(ctx: CheckContext) -> Outcome:
    condition = ctx.payload.get("record")
    if condition is None or condition.loan_id != ctx.obj.pk:
        return failed(_("Choose a condition of this loan."))
    if condition.fulfilled_at is not None:
        return failed(_("The condition is already fulfilled."))
    return passed()


def _manager_problem(ctx: CheckContext, person: Any) -> Outcome:
    if person is None:
        return failed(_("Choose an account manager."))
    name = person.get_full_name() or person.username
    problem = _not_a_manager_here(ctx, person)
    if problem is not None:
        return failed(problem, name=name)
    if _earlier_parts(ctx, person) & CHECKING_PARTS:
        return failed(_("%(name)s reviewed, approved or disbursed this loan."), name=name)
    return passed()


@check(
    code="manager_eligible",
    title=_("The new account manager is another account manager of the branch"),
    clause="roles.assignment",
    kind=CheckKind.INPUT,
    field="account_manager",
)
def manager_eligible(ctx: CheckContext) -> Outcome:
    person = ctx.payload.get("account_manager")
    if person is not None and person.pk == ctx.obj.account_manager_id:
        return failed(_("The loan is already theirs."))
    return _manager_problem(ctx, person)


@check(
    code="delegate_eligible",
    title=_("The delegate is another account manager of the branch"),
    clause="roles.assignment",
    kind=CheckKind.INPUT,
    field="delegate",
)
def delegate_eligible(ctx: CheckContext) -> Outcome:
    person = ctx.payload.get("delegate")
    if person is not None and (
        person.pk == ctx.obj.account_manager_id
        or ctx.obj.delegations.filter(delegate_id=person.pk, revoked_at__isnull=True).exists()
    ):
        return failed(_("They can already act on this loan."))
    return _manager_problem(ctx, person)


@check(
    code="delegation_active",
    title=_("The delegation is one of this loan's, in force"),
    clause="roles.assignment",
    kind=CheckKind.INPUT,
    field="delegation",
)
def delegation_active(ctx: CheckContext) -> Outcome:
    delegation = ctx.payload.get("delegation")
    if delegation is None or delegation.loan_id != ctx.obj.pk or delegation.revoked_at:
        return failed(_("Choose a delegation of this loan in force."))
    return passed()
