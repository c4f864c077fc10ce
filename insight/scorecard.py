"""The account-manager scorecard of a month or a quarter, read from the pre-aggregated months.

Each factor is scored from 0 to 1 and weighed by the policy in force at the period's end
(``PolicyVersion.scorecard_weights``, adding up to 100): the composite is the sum of the factors'
contributions, each shown. Volume and speed are scored against the best manager of the same
office; the quality factors against fixed scales (``SCALES``), so a manager cannot rank first on
volume alone. A constant number of statements whatever the number of loans: the reader's roles
and offices, the months of the period, the policy.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from insight.scorecard_models import ScorecardMonth
from insight.scorecard_periods import Period, period_parse
from insight.scorecard_scope import ScorecardScope
from loans.models import PolicyVersion, User
from loans.models.policy import SCORECARD_FACTORS, scorecard_weights_of
from loans.policy import policy_in_force

ONE, ZERO = Decimal(1), Decimal(0)
SCORE = Decimal("0.0001")
POINTS = Decimal("0.01")
# How steeply a quality factor falls: a book 50 % special mention, or 20 % non-performing, or
# one high-severity deviation per loan handled, scores nothing on that factor.
SCALES = {"special_mention": Decimal(2), "non_performing": Decimal(5)}
SEVERITY_WEIGHT = {"high": ONE, "medium": Decimal("0.5"), "low": Decimal("0.25")}
TITLES = {
    "volume": _("Amount disbursed"),
    "cycle_time": _("Median cycle time"),
    "returns": _("Return rate"),
    "deviations": _("Deviations per loan"),
    "sla_breaches": _("SLA breaches"),
    "inspections": _("Inspections on time"),
    "special_mention": _("Special-mention share of the book"),
    "non_performing": _("Non-performing share of the book"),
    "downgrades": _("Downgrades"),
    "watch_list": _("Watch-list items answered on time"),
}

# The figure behind each factor, for its drill-down (insight/scorecard_forms.py).
FACTOR_FIGURE = {
    "volume": "disbursed",
    "cycle_time": "disbursed",
    "returns": "returns",
    "deviations": "deviations",
    "sla_breaches": "sla_breaches",
    "inspections": "inspections",
    "special_mention": "special_mention",
    "non_performing": "non_performing",
    "downgrades": "downgrades",
    "watch_list": "watch_late",
}


@dataclass
class Totals:
    """A manager's figures over the period: the months' sums, the book at the last month."""

    disbursed_count: int = 0
    disbursed_amount: Decimal = ZERO
    cycle_days: list[int] | None = None
    returned_count: int = 0
    handled_count: int = 0
    deviations_high: int = 0
    deviations_medium: int = 0
    deviations_low: int = 0
    sla_breaches: int = 0
    inspections_due: int = 0
    inspections_on_time: int = 0
    downgrades: int = 0
    book_count: int = 0
    book_balance: Decimal = ZERO
    special_mention_balance: Decimal = ZERO
    non_performing_balance: Decimal = ZERO
    watch_open: int = 0
    watch_overdue: int = 0
    watch_resolved: int = 0
    watch_resolved_late: int = 0

    ADDED = (
        "disbursed_count",
        "disbursed_amount",
        "returned_count",
        "handled_count",
        "deviations_high",
        "deviations_medium",
        "deviations_low",
        "sla_breaches",
        "inspections_due",
        "inspections_on_time",
        "downgrades",
        "watch_resolved",
        "watch_resolved_late",
    )
    BOOK = (
        "book_count",
        "book_balance",
        "special_mention_balance",
        "non_performing_balance",
        "watch_open",
        "watch_overdue",
    )

    def add(self, month: ScorecardMonth) -> None:
        for name in self.ADDED:
            setattr(self, name, getattr(self, name) + getattr(month, name))
        self.cycle_days = sorted([*(self.cycle_days or []), *month.cycle_days])
        for name in self.BOOK:  # months come in order: the last one's book stays
            setattr(self, name, getattr(month, name))

    @property
    def median_cycle_days(self) -> Decimal | None:
        days = self.cycle_days or []
        return Decimal(str(statistics.median(days))) if days else None

    @property
    def return_rate(self) -> Decimal:
        return _ratio(self.returned_count, self.disbursed_count)

    @property
    def deviations(self) -> int:
        return self.deviations_high + self.deviations_medium + self.deviations_low

    @property
    def weighted_deviations_per_loan(self) -> Decimal:
        weighted = (
            self.deviations_high * SEVERITY_WEIGHT["high"]
            + self.deviations_medium * SEVERITY_WEIGHT["medium"]
            + self.deviations_low * SEVERITY_WEIGHT["low"]
        )
        return _per(weighted, self.handled_count)

    @property
    def deviations_per_loan(self) -> Decimal:
        return _per(Decimal(self.deviations), self.handled_count)

    @property
    def inspections_on_time_rate(self) -> Decimal:
        if not self.inspections_due:
            return ONE
        return _ratio(self.inspections_on_time, self.inspections_due)

    @property
    def watch_late(self) -> int:
        """Watch-list items not answered by their due: still open past it at the period's end,
        or resolved in the period after it."""
        return self.watch_overdue + self.watch_resolved_late

    @property
    def watch_on_time_rate(self) -> Decimal:
        """Of the items the manager had to answer (resolved in the period, or open past their
        due at its end), the share answered by their due; all, when there were none."""
        answerable = self.watch_resolved + self.watch_overdue
        if not answerable:
            return ONE
        return ONE - _ratio(self.watch_late, answerable)

    @property
    def special_mention_share(self) -> Decimal:
        return _ratio(self.special_mention_balance, self.book_balance)

    @property
    def non_performing_share(self) -> Decimal:
        return _ratio(self.non_performing_balance, self.book_balance)


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(SCORE) if whole else ZERO


def _per(amount: Decimal, loans: int) -> Decimal:
    """``amount`` per loan; with no loan, any amount is as bad as one per loan."""
    if not loans:
        return ONE if amount else ZERO
    return (amount / loans).quantize(SCORE)


def _floor(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value)).quantize(SCORE)


@dataclass(frozen=True)
class Factor:
    name: str
    score: Decimal  # 0 to 1
    weight: int

    @property
    def title(self) -> Any:
        return TITLES[self.name]

    @property
    def figure(self) -> str:
        return FACTOR_FIGURE[self.name]

    @property
    def contribution(self) -> Decimal:
        return (self.score * self.weight).quantize(POINTS)


@dataclass
class Card:
    manager: User
    totals: Totals
    factors: list[Factor]
    rank: int = 0

    @property
    def composite(self) -> Decimal:
        return sum((f.contribution for f in self.factors), ZERO)

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)


@dataclass(frozen=True)
class Scorecard:
    scope: ScorecardScope
    period: Period
    policy: PolicyVersion
    cards: list[Card]

    @property
    def weights(self) -> dict[str, int]:
        return scorecard_weights_of(self.policy.scorecard_weights)


Scorer = Callable[[Totals, "Best"], Decimal]


@dataclass(frozen=True)
class Best:
    """The best volume and speed among the managers of one office."""

    amount: Decimal
    median_days: Decimal | None


def _speed(totals: Totals, best: Best) -> Decimal:
    own = totals.median_cycle_days
    if own is None or best.median_days is None:
        return ZERO
    return ONE if own <= best.median_days or not own else best.median_days / own


SCORERS: dict[str, Scorer] = {
    "volume": lambda t, b: t.disbursed_amount / b.amount if b.amount else ZERO,
    "cycle_time": _speed,
    "returns": lambda t, b: ONE - t.return_rate,
    "deviations": lambda t, b: ONE - t.weighted_deviations_per_loan,
    "sla_breaches": lambda t, b: ONE - _per(Decimal(t.sla_breaches), t.handled_count),
    "inspections": lambda t, b: t.inspections_on_time_rate,
    "special_mention": lambda t, b: ONE - SCALES["special_mention"] * t.special_mention_share,
    "non_performing": lambda t, b: ONE - SCALES["non_performing"] * t.non_performing_share,
    "downgrades": lambda t, b: ONE - _per(Decimal(t.downgrades), t.book_count),
    "watch_list": lambda t, b: t.watch_on_time_rate,
}


def _score(name: str, totals: Totals, best: Best) -> Decimal:
    """A factor's score; nothing for a manager with nothing to measure (no loan disbursed, handled
    or in the book), whose clean record would otherwise rank them above the working."""
    if not (totals.disbursed_count or totals.handled_count or totals.book_count):
        return ZERO
    return _floor(SCORERS[name](totals, best))


def scorecard(scope: ScorecardScope, period: Period, *, now: datetime | None = None) -> Scorecard:
    """The cards of the managers ``scope`` shows, ranked by their composite score."""
    start, end = period.span(now)
    policy = policy_in_force(max(start, end - timedelta(microseconds=1)))
    rows = (
        ScorecardMonth.objects.filter(
            branch_id__in=scope.comparison_branch_ids, month__in=period.month_list
        )
        .select_related("manager")
        .order_by("month", "manager_id")
    )
    totals: dict[int, Totals] = defaultdict(Totals)
    people: dict[int, tuple[User, int]] = {}
    for row in rows:
        totals[row.manager_id].add(row)
        people[row.manager_id] = (row.manager, row.branch_id)
    best = _best(totals, people)
    weights = scorecard_weights_of(policy.scorecard_weights)
    cards = [
        Card(
            manager=user,
            totals=totals[pk],
            factors=[
                Factor(name, _score(name, totals[pk], best[office]), weights[name])
                for name in SCORECARD_FACTORS
            ],
        )
        for pk, (user, office) in people.items()
        if scope.shows(pk)
    ]
    cards.sort(key=lambda card: (-card.composite, card.manager.get_full_name(), card.manager.pk))
    for rank, card in enumerate(cards, start=1):
        card.rank = rank
    return Scorecard(scope=scope, period=period, policy=policy, cards=cards)


def _best(totals: dict[int, Totals], people: dict[int, tuple[User, int]]) -> dict[int, Best]:
    by_office: dict[int, list[Totals]] = defaultdict(list)
    for pk, (_user, office) in people.items():
        by_office[office].append(totals[pk])
    return {
        office: Best(
            amount=max((t.disbursed_amount for t in group), default=ZERO),
            median_days=min(
                (d for t in group if (d := t.median_cycle_days) is not None), default=None
            ),
        )
        for office, group in by_office.items()
    }


__all__ = ["Period", "Scorecard", "period_parse", "scorecard"]
