"""Extension (展期) arithmetic: how many months a loan may be extended, and the schedule over the
extended term. Pure Python, no Django (docs/servicing.md, "Extension").

The limits follow the General Rules on Loans (《贷款通则》, art. 12): the extensions of a
short-term loan (a term of up to a year) add up to at most its original term, those of a
medium-term loan (over a year, up to five) to at most half of it, those of a long-term loan to at
most three years. The boundaries and the limits are settings of the policy version in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from loans.servicing import schedule_maths as maths


@dataclass(frozen=True)
class ExtensionLimits:
    """The policy's limits on extension, in months."""

    short_term_up_to: int = 12  # a term up to this many months is short-term
    medium_term_up_to: int = 60  # up to this, medium-term; longer, long-term
    medium_term_share: Decimal = Decimal("0.5")  # of a medium-term loan's original term
    long_term_most: int = 36


def most_months(term_months: int, limits: ExtensionLimits) -> int:
    """The most months all the extensions of a loan with this original term may add up to."""
    if term_months <= 0:
        return 0
    if term_months <= limits.short_term_up_to:
        return term_months
    if term_months <= limits.medium_term_up_to:
        share = Decimal(term_months) * limits.medium_term_share
        return int(share.to_integral_value(rounding=ROUND_FLOOR))
    return limits.long_term_most


def months_left(term_months: int, extended_months: int, limits: ExtensionLimits) -> int:
    """How many more months the loan may still be extended by (never below zero)."""
    return max(0, most_months(term_months, limits) - extended_months)


def extended(
    states: Sequence[maths.InstalmentState],
    *,
    months: int,
    annual_rate: Decimal,
    method: str,
    start: date,
) -> list[maths.Instalment]:
    """The instalments of the schedule extended by ``months``: those settled are kept as they
    are; the principal still due is re-amortised, with the loan's repayment method, from the
    first open instalment to the new maturity, ``months`` after the current last instalment.
    Instalment *k* stays due *k* months after ``start`` (the disbursement date)."""
    if months <= 0:
        raise ValueError("an extension adds at least one month")
    ordered = sorted(states, key=lambda s: s.instalment.number)
    kept = [s.instalment for s in ordered if s.settled]
    open_ = [s for s in ordered if not s.settled]
    balance = sum((s.principal_due for s in open_), maths.ZERO)
    if not open_ or balance <= 0:
        raise ValueError("nothing is left to extend")
    first = open_[0].instalment.number
    last = _last_period(ordered[-1].instalment.due_date, start)
    rows = maths.schedule(
        amount=balance,
        annual_rate=annual_rate,
        term_months=last + months - first + 1,
        method=method,
        start=start,
        first_number=first,
    )
    return [*kept, *rows]


def _last_period(maturity: date, start: date) -> int:
    """The month, counted from ``start``, of the schedule's maturity (its last due date)."""
    return (maturity.year - start.year) * 12 + maturity.month - start.month


def new_maturity(maturity: date, *, months: int, start: date) -> date:
    """The maturity ``months`` after ``maturity``, on the disbursement day of the month (as
    every due date: a loan disbursed on the 31st matures on a month's last day)."""
    return maths.add_months(start, _last_period(maturity, start) + months)
