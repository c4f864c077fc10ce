"""Business days: weekends and the holidays in the calendar administrators maintain are skipped."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from workflow.models import Holiday


def holidays_between(start: date, end: date) -> set[date]:
    return set(Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True))


def is_business_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(
    start: datetime, days: int, holidays: Collection[date] | None = None
) -> datetime:
    """The moment ``days`` business days after ``start``, at the same time of day.

    Starting on a weekend or holiday, counting begins from the next business day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if holidays is None:
        # Generous bound: no calendar has more than two non-working days per working day.
        holidays = holidays_between(start.date(), start.date() + timedelta(days=days * 3 + 30))
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_business_day(moment.date(), holidays):
            remaining -= 1
    return moment
