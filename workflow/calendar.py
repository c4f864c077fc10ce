"""Business days: weekends and the holidays in the calendar administrators maintain are skipped.

Days are the calendar days of the bank's time zone (``TIME_ZONE``): 01:00 on a Saturday in
Beijing is a Saturday, although it is still Friday in UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.utils import timezone

from workflow import reads
from workflow.models import Holiday

# Within one step (workflow.reads.shared) the calendar is read once, this far ahead of the first
# day asked: enough for every deadline a step sets (a stage SLA, then its escalation).
SHARED_HORIZON = timedelta(days=400)


def holidays_between(start: date, end: date) -> set[date]:
    """The holidays from ``start`` to ``end``; within a step, one read serves every question."""
    known = reads.peek("workflow.calendar")
    if known is None or not (known[0] <= start and end <= known[1]):
        last = max(end, start + SHARED_HORIZON)
        days = set(Holiday.objects.filter(date__range=(start, last)).values_list("date", flat=True))
        known = (start, last, days)
        reads.keep("workflow.calendar", known)
    return {day for day in known[2] if start <= day <= end}


def is_business_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(
    start: datetime, days: int, holidays: Collection[date] | None = None
) -> datetime:
    """The moment ``days`` business days after ``start``, at the same time of day on the bank's
    clock (an aware ``start`` is read in the bank's time zone, a naive one as it is).

    Starting on a weekend or holiday, counting begins from the next business day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    moment = timezone.localtime(start) if timezone.is_aware(start) else start
    if holidays is None:
        # Generous bound: no calendar has more than two non-working days per working day.
        first = moment.date()
        holidays = holidays_between(first, first + timedelta(days=days * 3 + 30))
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_business_day(moment.date(), holidays):
            remaining -= 1
    return moment
