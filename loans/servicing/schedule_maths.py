"""Repayment schedules, repayment allocation and days past due: pure arithmetic, no Django.

Conventions (docs/servicing.md, "Pricing, schedules and repayments"):

- Money is ``Decimal`` in yuan, every figure rounded to the fen (0.01) half up (``ROUND_HALF_UP``).
- Interest is daily on a 360-day year: the daily rate is the annual rate / 360. A monthly period
  counts 30 days whatever its calendar length, so a period's interest is
  ``round(balance × annual rate / 360 × 30)`` = ``round(balance × annual rate / 12)``: the
  balance is the principal outstanding at the start of the period.
- Instalment *i* falls due *i* months after the disbursement date, on the same day of the month
  (the month's last day when it has no such day).
- Equal instalments (等额本息): the payment is the annuity ``P·r·(1+r)^n / ((1+r)^n - 1)`` with
  ``r`` the monthly rate, rounded; each period's principal is the payment less its interest; the
  last instalment repays the balance left, absorbing the rounding.
- Equal principal (等额本金): principal ``round(P / n)`` each period, the last takes the rest.
- Interest monthly, principal at maturity (按月付息到期还本); and principal and interest at
  maturity (one instalment, interest for ``n`` periods).
- Overdue interest (罚息) accrues daily on the unpaid principal of an instalment past its due date
  at the annual rate × (1 + markup) / 360; it is charged whenever a repayment is allocated.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal(0)
DAYS_IN_YEAR = 360
DAYS_IN_PERIOD = 30

EQUAL_INSTALMENTS = "equal_instalments"
EQUAL_PRINCIPAL = "equal_principal"
INTEREST_ONLY = "interest_only"
BULLET = "bullet"
METHODS = (EQUAL_INSTALMENTS, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET)

REAMORTISE = "reamortise"  # an early repayment lowers the instalments, same term
SHORTEN = "shorten"  # an early repayment keeps the instalment and ends the loan sooner


def fen(value: Decimal) -> Decimal:
    """Round to the fen, half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """The rate of one 30-day period: annual / 360 × 30 (exact, not rounded)."""
    return annual_rate / DAYS_IN_YEAR * DAYS_IN_PERIOD


def period_interest(balance: Decimal, annual_rate: Decimal) -> Decimal:
    return fen(balance * monthly_rate(annual_rate))


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity_payment(principal: Decimal, annual_rate: Decimal, periods: int) -> Decimal:
    """The equal instalment that repays ``principal`` over ``periods`` months, to the fen."""
    rate = monthly_rate(annual_rate)
    if rate == 0:
        return fen(principal / periods)
    growth = (1 + rate) ** periods
    return fen(principal * rate * growth / (growth - 1))


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based, stable across schedule versions
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def schedule(
    *,
    amount: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: str,
    start: date,
    first_number: int = 1,
    payment: Decimal | None = None,
) -> list[Instalment]:
    """The instalments repaying ``amount``; instalment *k* falls due *k* months after ``start``
    (the disbursement date, also when a schedule is remade from instalment ``first_number``).
    ``annual_rate`` is a fraction (0.0435).
    ``payment`` fixes the equal instalment (the term then ends when the balance is repaid)."""
    if amount <= 0 or term_months <= 0 or annual_rate < 0:
        raise ValueError("amount and term must be above zero, the rate not negative")
    if method not in METHODS:
        raise ValueError(f"unknown repayment method {method!r}")
    amount = fen(amount)
    rows: list[tuple[Decimal, Decimal]] = []  # (principal, interest) per period
    if method == BULLET:
        rows = [(amount, fen(amount * monthly_rate(annual_rate) * term_months))]
    elif method == INTEREST_ONLY:
        interest = period_interest(amount, annual_rate)
        rows = [(ZERO, interest)] * (term_months - 1) + [(amount, interest)]
    else:
        rows = _amortising(amount, annual_rate, term_months, method, payment)
    offset = first_number - 1  # instalment k falls due k months after ``start``
    months_to = (
        [offset + term_months] if method == BULLET else range(offset + 1, offset + len(rows) + 1)
    )
    return [
        Instalment(first_number + i, add_months(start, months), principal, interest)
        for i, ((principal, interest), months) in enumerate(zip(rows, months_to, strict=True))
    ]


def _amortising(
    amount: Decimal, annual_rate: Decimal, periods: int, method: str, payment: Decimal | None
) -> list[tuple[Decimal, Decimal]]:
    level = payment if payment is not None else annuity_payment(amount, annual_rate, periods)
    equal_principal = fen(amount / periods)
    rows: list[tuple[Decimal, Decimal]] = []
    balance = amount
    while balance > 0:
        interest = period_interest(balance, annual_rate)
        principal = level - interest if method == EQUAL_INSTALMENTS else equal_principal
        last = len(rows) + 1 >= periods and payment is None
        if last or principal >= balance:
            principal = balance  # the last instalment absorbs the rounding
        if principal < 0 or (principal == 0 and payment is not None):
            raise ValueError("the instalment does not cover the interest")
        rows.append((principal, interest))
        balance -= principal
    return rows


def periods_to_repay(balance: Decimal, annual_rate: Decimal, payment: Decimal) -> int:
    """How many equal instalments of ``payment`` repay ``balance`` (the last one smaller)."""
    rate = monthly_rate(annual_rate)
    if rate == 0:
        return math.ceil(balance / payment)
    ratio = 1 - balance * rate / payment
    if ratio <= 0:
        raise ValueError("the instalment does not cover the interest")
    return math.ceil(-math.log(float(ratio)) / math.log(float(1 + rate)) - 1e-9)


# --- allocation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentState:
    """An instalment of the schedule in force with what has been charged and paid on it."""

    instalment: Instalment
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    overdue_interest_charged: Decimal = ZERO
    overdue_interest_paid: Decimal = ZERO
    overdue_charged_to: date | None = None  # overdue interest is charged up to this date

    @property
    def principal_due(self) -> Decimal:
        return self.instalment.principal - self.principal_paid

    @property
    def interest_due(self) -> Decimal:
        return self.instalment.interest - self.interest_paid

    @property
    def settled(self) -> bool:
        return self.principal_due <= 0 and self.interest_due <= 0

    def charged(self, on: date, annual_rate: Decimal, markup: Decimal) -> InstalmentState:
        """This state with the overdue interest accrued up to ``on`` charged."""
        due = self.instalment.due_date
        since = max(due, self.overdue_charged_to or due)
        if on <= since or self.principal_due <= 0:
            return self
        days = (on - since).days
        accrued = fen(self.principal_due * annual_rate * (1 + markup) / DAYS_IN_YEAR * days)
        return replace(
            self,
            overdue_interest_charged=self.overdue_interest_charged + accrued,
            overdue_charged_to=on,
        )


@dataclass(frozen=True)
class Allocation:
    number: int  # the instalment's number
    overdue_interest: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.overdue_interest + self.interest + self.principal


@dataclass
class AllocationResult:
    allocations: list[Allocation]
    states: list[InstalmentState]  # every instalment after the repayment
    prepaid: Decimal = ZERO  # principal repaid ahead of the schedule: a new version follows
    charged: dict[int, Decimal] = field(default_factory=dict)  # overdue interest newly charged


def allocate(
    states: Sequence[InstalmentState],
    *,
    amount: Decimal,
    paid_on: date,
    annual_rate: Decimal,
    overdue_markup: Decimal,
) -> AllocationResult:
    """Allocate a repayment: to the instalments due on or before ``paid_on``, oldest first
    (overdue interest, then interest, then principal), then to the instalment of the period
    running on ``paid_on`` (paid ahead of its date, as a whole or in part; a period runs from
    the day after the previous due date); what remains after that is principal repaid early
    (``prepaid``), for which the schedule is remade."""
    left = fen(amount)
    after: list[InstalmentState] = []
    allocations: list[Allocation] = []
    charged: dict[int, Decimal] = {}
    next_taken = False
    period_start: date | None = None
    for state in sorted(states, key=lambda s: s.instalment.number):
        if period_start is None:
            period_start = add_months(state.instalment.due_date, -1)
        running = period_start < paid_on
        period_start = state.instalment.due_date
        current = state.charged(paid_on, annual_rate, overdue_markup)
        if current.overdue_interest_charged != state.overdue_interest_charged:
            charged[state.instalment.number] = (
                current.overdue_interest_charged - state.overdue_interest_charged
            )
        is_due = current.instalment.due_date <= paid_on
        owes = not current.settled or current.overdue_interest_charged > (
            current.overdue_interest_paid
        )
        if left > 0 and owes and (is_due or (running and not next_taken)):
            next_taken = next_taken or not is_due
            current, allocation, left = _pay(current, left)
            allocations.append(allocation)
        elif not is_due and owes:
            next_taken = True
        after.append(current)
    return AllocationResult(allocations, after, prepaid=left, charged=charged)


def _pay(state: InstalmentState, left: Decimal) -> tuple[InstalmentState, Allocation, Decimal]:
    parts = []
    for owed in (
        state.overdue_interest_charged - state.overdue_interest_paid,
        state.interest_due,
        state.principal_due,
    ):
        part = min(left, max(owed, ZERO))
        parts.append(part)
        left -= part
    overdue, interest, principal = parts
    paid = replace(
        state,
        overdue_interest_paid=state.overdue_interest_paid + overdue,
        interest_paid=state.interest_paid + interest,
        principal_paid=state.principal_paid + principal,
    )
    return paid, Allocation(state.instalment.number, overdue, interest, principal), left


def remade(
    states: Sequence[InstalmentState],
    *,
    prepaid: Decimal,
    annual_rate: Decimal,
    method: str,
    mode: str,
    start: date,
) -> list[Instalment]:
    """The instalments after an early repayment of ``prepaid`` principal: those settled are
    kept; the balance left is spread over the remaining periods (``REAMORTISE``) or repaid at
    the same instalment in fewer periods (``SHORTEN``). ``start``: the disbursement date."""
    ordered = sorted(states, key=lambda s: s.instalment.number)
    kept = [s.instalment for s in ordered if s.settled]
    open_ = [s for s in ordered if not s.settled]
    balance = sum((s.principal_due for s in open_), ZERO) - prepaid
    if balance < 0:
        raise ValueError("the early repayment exceeds the principal outstanding")
    if balance == 0 or not open_:
        return kept
    first = open_[0].instalment.number
    periods = len(open_)
    payment = None
    if mode == SHORTEN and method == EQUAL_INSTALMENTS:
        payment = open_[0].instalment.total
        if payment <= period_interest(balance, annual_rate):
            payment = None
        else:
            periods = periods_to_repay(balance, annual_rate, payment)
    elif mode == SHORTEN and method == EQUAL_PRINCIPAL:
        per_period = open_[0].instalment.principal
        periods = max(1, math.ceil(balance / per_period)) if per_period > 0 else periods
    rows = schedule(
        amount=balance,
        annual_rate=annual_rate,
        term_months=periods,
        method=method,
        start=start,
        first_number=first,
        payment=payment,
    )
    return [*kept, *rows]


# --- days past due -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paid:
    """What a repayment paid on one instalment, on its date."""

    number: int
    paid_on: date
    interest: Decimal
    principal: Decimal


def days_past_due(instalments: Iterable[Instalment], paid: Iterable[Paid], on: date) -> int:
    """Days past due on the local date ``on``: the days since the oldest instalment due before
    ``on`` whose principal and interest were not fully paid by then (0 when none is).
    Overdue interest unpaid does not make an instalment past due."""
    paid_by_number: dict[int, Decimal] = {}
    for item in paid:
        if item.paid_on <= on:
            paid_by_number[item.number] = (
                paid_by_number.get(item.number, ZERO) + item.interest + item.principal
            )
    for instalment in sorted(instalments, key=lambda i: i.due_date):
        if instalment.due_date >= on:
            break
        if paid_by_number.get(instalment.number, ZERO) < instalment.total:
            return (on - instalment.due_date).days
    return 0
