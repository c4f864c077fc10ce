"""Pricing: the rate proposed for a loan is the loan prime rate (LPR) plus a spread.

The basis follows market practice: a term of up to five years (60 months) is priced on the
1-year LPR, a longer one on the 5-year LPR. The LPR used is the latest one in the policy's table
effective on the day priced (the contract's recording). A spread below the product's floor needs
an approver with pricing authority (``loans.checks.approval.pricing_authority``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from loans.choices import LprTenor

FIVE_YEARS_MONTHS = 60
BASIS_POINTS = Decimal(100)  # basis points in one percentage point


@dataclass(frozen=True)
class Price:
    tenor: LprTenor
    lpr_rate: Decimal  # percent
    lpr_date: date
    spread_bps: int

    @property
    def annual_rate(self) -> Decimal:
        """The annual rate in percent: LPR + spread."""
        return self.lpr_rate + Decimal(self.spread_bps) / BASIS_POINTS


def tenor_for(term_months: int) -> LprTenor:
    return LprTenor.ONE_YEAR if term_months <= FIVE_YEARS_MONTHS else LprTenor.FIVE_YEAR


def lpr_on(table: list[dict[str, str]], day: date, tenor: LprTenor) -> tuple[Decimal, date]:
    """The LPR of ``tenor`` in force on ``day``, with its effective date."""
    key = "one_year" if tenor == LprTenor.ONE_YEAR else "five_year"
    found = [row for row in table if date.fromisoformat(row["effective"]) <= day]
    if not found:
        raise LookupError(f"no loan prime rate on {day}")
    latest = max(found, key=lambda row: row["effective"])
    return Decimal(latest[key]), date.fromisoformat(latest["effective"])


def spread_of(loan: Any, policy: Any) -> int:
    """The spread proposed on the application, or the product's floor when none is."""
    if loan.rate_spread_bps is not None:
        return int(loan.rate_spread_bps)
    return int(policy.spread_floor(loan.product.code if loan.product_id else ""))


def price(loan: Any, policy: Any, day: date) -> Price:
    tenor = tenor_for(loan.term_months or 0)
    rate, effective = lpr_on(policy.loan_prime_rates, day, tenor)
    return Price(tenor, rate, effective, spread_of(loan, policy))


def lpr_table_errors(table: Any) -> Any:
    """What is wrong with a policy's LPR table, or None."""
    message = _(
        "Give a non-empty list of rows with an effective date (YYYY-MM-DD) and the 1-year and "
        "5-year rates in percent."
    )
    if not isinstance(table, list) or not table:
        return message
    for row in table:
        try:
            date.fromisoformat(row["effective"])
            if Decimal(row["one_year"]) <= 0 or Decimal(row["five_year"]) <= 0:
                return message
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return message
    return None
