"""The portfolio structure of an office or a tree of offices, read from the daily snapshots.

A constant number of statements whatever the portfolio's size: the latest snapshot day, the
snapshots of that day and of the twelve month-ends before it, and the names the keys stand for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from insight.buckets import AMOUNT_BANDS, TERM_BANDS
from insight.measure import DIMENSIONS, Cell, combine
from insight.models import PortfolioSnapshot
from insight.scope import Scope
from loans.choices import GuaranteeType, Industry, RiskClass
from loans.models import LoanProduct, PolicyVersion, User

NEAR = Decimal("0.9")  # a share at 90 % of its limit or more is near it
RATIO = Decimal("0.0001")
NON_PERFORMING = (RiskClass.SUBSTANDARD, RiskClass.DOUBTFUL, RiskClass.LOSS)
TREND_MONTHS = 12

TITLES = {
    "industry": _("Industry (GB/T 4754 section)"),
    "product": _("Product"),
    "guarantee_type": _("Guarantee type"),
    "term": _("Term"),
    "amount": _("Loan amount"),
    "risk_class": _("Five-class classification"),
    "manager": _("Account manager"),
    "group": _("Borrower group"),
    "office": _("Office"),
}
# The policy's limit on the share of one key, by dimension.
LIMITS = {
    "industry": "industry_concentration_limit",
    "guarantee_type": "guarantee_concentration_limit",
    "group": "group_concentration_limit",
}
LIMIT_TITLES = {
    "industry": _("largest share of one industry"),
    "guarantee_type": _("largest share of one guarantee type"),
    "group": _("largest share of one borrower group"),
}
NOT_RECORDED = _("not recorded")
NO_GROUP = _("no group")
BAND_ORDER = {
    "risk_class": [str(c.value) for c in RiskClass],
    "term": [band.key for band in TERM_BANDS],
    "amount": [band.key for band in AMOUNT_BANDS],
}


class Status:
    OK = "ok"
    NEAR = "near"
    OVER = "over"
    LABELS = {OK: _("within the limit"), NEAR: _("near the limit"), OVER: _("over the limit")}


STATUS_VALUES = [Status.OK, Status.NEAR, Status.OVER]


def status_of(share: Decimal, limit: Decimal) -> str:
    if share > limit:
        return Status.OVER
    if share >= limit * NEAR:
        return Status.NEAR
    return Status.OK


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(RATIO) if whole else Decimal(0)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    balance: Decimal
    count: int
    share: Decimal
    status: str | None = None  # for a dimension with a limit

    @property
    def status_label(self) -> Any:
        return Status.LABELS.get(self.status or "", "")


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    title: Any
    rows: list[Row]


@dataclass(frozen=True)
class Limit:
    dimension: str
    title: Any
    largest: Row | None
    limit: Decimal

    @property
    def share(self) -> Decimal:
        return self.largest.share if self.largest else Decimal(0)

    @property
    def status(self) -> str:
        return status_of(self.share, self.limit)

    @property
    def status_label(self) -> Any:
        return Status.LABELS[self.status]


@dataclass(frozen=True)
class TrendPoint:
    day: date
    balance: Decimal
    count: int
    npl_ratio: Decimal
    special_mention_ratio: Decimal


@dataclass(frozen=True)
class Structure:
    scope: Scope
    day: date | None
    balance: Decimal
    count: int
    npl_balance: Decimal
    special_mention_balance: Decimal
    breakdowns: list[Breakdown]
    limits: list[Limit]
    limits_apply_from: Decimal
    policy_version: str
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.npl_balance, self.balance)

    @property
    def special_mention_ratio(self) -> Decimal:
        return ratio(self.special_mention_balance, self.balance)

    @property
    def limits_assessed(self) -> bool:
        return self.balance >= self.limits_apply_from

    def breakdown(self, dimension: str) -> Breakdown:
        return next(b for b in self.breakdowns if b.dimension == dimension)


def month_ends(latest: date, months: int = TREND_MONTHS) -> list[date]:
    """The last day of each of the ``months`` months before ``latest``'s, oldest first."""
    ends, day = [], latest.replace(day=1) - timedelta(days=1)
    for _month in range(months):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(ends)


def portfolio_structure(scope: Scope, policy: PolicyVersion) -> Structure:
    snapshots = PortfolioSnapshot.objects.filter(branch_id__in=scope.branch_ids)
    latest = snapshots.aggregate(day=Max("day"))["day"]
    rows = (
        list(snapshots.filter(day__in=[latest, *month_ends(latest)]).order_by("day", "branch_id"))
        if latest
        else []
    )
    current = [s for s in rows if s.day == latest]
    cells = combine(s.figures for s in current)
    cells["office"] = {
        str(s.branch_id): Cell(s.balance, s.loan_count) for s in current if s.loan_count
    }
    balance = sum((s.balance for s in current), Decimal(0))
    labels = _labels(cells, scope)
    breakdowns = [
        _breakdown(dimension, cells[dimension], balance, labels, policy)
        for dimension in (*DIMENSIONS, "office")
    ]
    risk = cells["risk_class"]
    return Structure(
        scope=scope,
        day=latest,
        balance=balance,
        count=sum(s.loan_count for s in current),
        npl_balance=_sum(risk, NON_PERFORMING),
        special_mention_balance=_sum(risk, (RiskClass.SPECIAL_MENTION,)),
        breakdowns=breakdowns,
        limits=[
            _limit(dimension, next(b for b in breakdowns if b.dimension == dimension), policy)
            for dimension in LIMITS
        ],
        limits_apply_from=policy.concentration_min_portfolio,
        policy_version=policy.version,
        trend=_trend(rows),
    )


def _sum(cells: dict[str, Cell], classes: tuple[RiskClass, ...]) -> Decimal:
    return sum((cells[str(c.value)].balance for c in classes if str(c.value) in cells), Decimal(0))


def _breakdown(
    dimension: str,
    cells: dict[str, Cell],
    total: Decimal,
    labels: dict[str, dict[str, str]],
    policy: PolicyVersion,
) -> Breakdown:
    limit = getattr(policy, LIMITS[dimension]) if dimension in LIMITS else None
    rows = []
    for key, cell in cells.items():
        share = ratio(cell.balance, total)
        limited = limit is not None and not (dimension == "group" and not key)
        rows.append(
            Row(
                key=key,
                label=labels[dimension].get(key) or str(NOT_RECORDED),
                balance=cell.balance,
                count=cell.count,
                share=share,
                status=status_of(share, limit) if limited and limit is not None else None,
            )
        )
    if dimension in BAND_ORDER:  # classes and bands in their own order, the others largest first
        order = BAND_ORDER[dimension]
        rows.sort(key=lambda row: order.index(row.key) if row.key in order else len(order))
    else:
        rows.sort(key=lambda row: (-row.balance, row.label))
    return Breakdown(dimension=dimension, title=TITLES[dimension], rows=rows)


def _limit(dimension: str, breakdown: Breakdown, policy: PolicyVersion) -> Limit:
    limited = [row for row in breakdown.rows if row.status is not None]
    return Limit(
        dimension=dimension,
        title=LIMIT_TITLES[dimension],
        largest=max(limited, key=lambda row: row.share, default=None),
        limit=getattr(policy, LIMITS[dimension]),
    )


def _trend(rows: list[PortfolioSnapshot]) -> list[TrendPoint]:
    by_day: dict[date, list[PortfolioSnapshot]] = {}
    for snapshot in rows:
        by_day.setdefault(snapshot.day, []).append(snapshot)
    points = []
    for day, snapshots in sorted(by_day.items()):
        balance = sum((s.balance for s in snapshots), Decimal(0))
        risk = combine(s.figures for s in snapshots)["risk_class"]
        points.append(
            TrendPoint(
                day=day,
                balance=balance,
                count=sum(s.loan_count for s in snapshots),
                npl_ratio=ratio(_sum(risk, NON_PERFORMING), balance),
                special_mention_ratio=ratio(_sum(risk, (RiskClass.SPECIAL_MENTION,)), balance),
            )
        )
    return points


def _labels(cells: dict[str, dict[str, Cell]], scope: Scope) -> dict[str, dict[str, str]]:
    """What each key stands for, in the active language: two statements (managers, products)."""
    managers = {
        str(user.pk): user.get_full_name() or user.username
        for user in User.objects.filter(pk__in=[int(k) for k in cells["manager"]])
    }
    products = {
        product.code: product.display_name
        for product in LoanProduct.objects.filter(code__in=list(cells["product"]))
    }
    return {
        "industry": {k: f"{k} {Industry(k).label}" for k in cells["industry"] if k},
        "product": products,
        "guarantee_type": {k: str(GuaranteeType(k).label) for k in cells["guarantee_type"] if k},
        "term": {b.key: str(b.label) for b in TERM_BANDS},
        "amount": {b.key: str(b.label) for b in AMOUNT_BANDS},
        "risk_class": {str(c.value): str(c.label) for c in RiskClass},
        "manager": managers,
        "group": {k: k or str(NO_GROUP) for k in cells["group"]},
        "office": {str(b.pk): b.display_name for b in scope.offices},
    }
