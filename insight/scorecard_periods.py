"""The periods a scorecard covers: a month or a quarter of the bank's local calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insight.scorecard_measure import local_midnight, month_start, next_month


@dataclass(frozen=True)
class Period:
    start: date  # the first day of its first month
    months: int  # 1 or 3

    @property
    def end(self) -> date:
        day = self.start
        for _month in range(self.months):
            day = next_month(day)
        return day

    @property
    def month_list(self) -> list[date]:
        days, day = [], self.start
        for _month in range(self.months):
            days.append(day)
            day = next_month(day)
        return days

    @property
    def key(self) -> str:
        if self.months == 3:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.months == 3:
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        return _("%(month)s/%(year)s") % {"month": self.start.month, "year": self.start.year}

    def span(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        """The period's moments, its end no later than ``now``."""
        return local_midnight(self.start), min(local_midnight(self.end), now or timezone.now())

    def shifted(self, by: int) -> Period:
        day = self.start
        for _step in range(abs(by) * self.months):
            day = next_month(day) if by > 0 else month_start(day - timedelta(days=1))
        return Period(day, self.months)


def period_parse(text: str | None, today: date) -> Period | None:
    """``2026-11`` (a month) or ``2026-Q4`` (a quarter); the quarter under way when empty."""
    if not text:
        return Period(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3)
    try:
        year, rest = text.split("-", 1)
        if rest.upper().startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
            return Period(date(int(year), 3 * int(rest[1:]) - 2, 1), 3)
        return Period(date(int(year), int(rest), 1), 1)
    except ValueError:
        return None
