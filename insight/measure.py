"""Measuring a portfolio: the one computation the live snapshot and the backfill share.

A loan is in the portfolio while it is disbursed and not closed (post-loan); what it weighs is its
outstanding balance, the amount disbursed less the principal repaid, which the engine keeps on the
loan with every drawdown, repayment and correction (and in each audit event's snapshot). The
figures of one office are sums, so the figures of several offices add up (``combine``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from insight.buckets import AMOUNT_BANDS, TERM_BANDS, band_of
from loans.states import LoanState

# The breakdowns of a snapshot, in the order the dashboard shows them.
DIMENSIONS = (
    "industry",
    "product",
    "guarantee_type",
    "term",
    "amount",
    "risk_class",
    "manager",
    "group",
)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LoanFacts:
    """What the portfolio needs of one loan at one moment."""

    branch_id: int
    state: str
    balance: Decimal
    risk_class: int
    industry: str
    product: str  # the product's code
    guarantee_type: str
    term_months: int | None
    amount: Decimal | None
    manager_id: int
    group: str

    @property
    def in_portfolio(self) -> bool:
        return self.state == LoanState.POST_LOAN

    def keys(self) -> dict[str, str]:
        return {
            "industry": self.industry,
            "product": self.product,
            "guarantee_type": self.guarantee_type,
            "term": band_of(TERM_BANDS, self.term_months),
            "amount": band_of(AMOUNT_BANDS, self.amount),
            "risk_class": str(self.risk_class),
            "manager": str(self.manager_id),
            "group": self.group,
        }


class Tally:
    """The running figures of one office: loans added and taken away as they change."""

    def __init__(self) -> None:
        self.balance = ZERO
        self.count = 0
        self.by: dict[str, dict[str, list[Any]]] = {
            d: defaultdict(lambda: [ZERO, 0]) for d in DIMENSIONS
        }

    def add(self, facts: LoanFacts, sign: int = 1) -> None:
        if not facts.in_portfolio:
            return
        balance = facts.balance * sign
        self.balance += balance
        self.count += sign
        for dimension, key in facts.keys().items():
            cell = self.by[dimension][key]
            cell[0] += balance
            cell[1] += sign

    def figures(self) -> dict[str, dict[str, list[Any]]]:
        """The breakdowns as stored: keys with no loan left are dropped, balances as strings."""
        return {
            dimension: {
                key: [f"{cell[0]:.2f}", cell[1]] for key, cell in sorted(cells.items()) if cell[1]
            }
            for dimension, cells in self.by.items()
        }


def tally(loans: Iterable[LoanFacts]) -> dict[int, Tally]:
    """The figures of each office that has loans in ``loans``."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    for facts in loans:
        tallies[facts.branch_id].add(facts)
    return tallies


@dataclass(frozen=True)
class Cell:
    balance: Decimal
    count: int


def combine(snapshots: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Cell]]:
    """Stored figures of several offices added up, per dimension and key."""
    total: dict[str, dict[str, Cell]] = {d: {} for d in DIMENSIONS}
    for figures in snapshots:
        for dimension in DIMENSIONS:
            cells = total[dimension]
            for key, (balance, count) in figures.get(dimension, {}).items():
                old = cells.get(key, Cell(ZERO, 0))
                cells[key] = Cell(old.balance + Decimal(balance), old.count + count)
    return total
