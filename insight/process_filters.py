"""What the process analytics are asked for: a period (whole local weeks), a product, a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from insight.process_aggregate import week_of

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class Filters:
    since: date
    until: date
    product: int | None = None
    # A person: the one who ended a stage (stage times, returns), the account manager (funnel,
    # stalled loans), the one who deviated (heat-map).
    person: int | None = None

    @property
    def weeks(self) -> list[date]:
        """The Monday of every week of the period, oldest first."""
        first, last = week_of(self.since), week_of(self.until)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def ratio(part: int | float, whole: int | float) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(RATIO) if whole else Decimal(0)
