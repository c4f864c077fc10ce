"""Business days: weekends and the holidays in the calendar administrators maintain are skipped.

Days are the calendar days of the bank's time zone (``TIME_ZONE``): 01:00 on a Saturday in
Beijing is a Saturday, although it is still Friday in UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Func, Subquery, TextField
from django.utils import timezone

from workflow import reads
from workflow.models import Holiday

# Within one step (workflow.reads.shared) the calendar is read once, this far ahead of the first
# day asked: enough for every deadline a step sets (a stage SLA, then its escalation).
SHARED_HORIZON = timedelta(days=400)


def holidays_between(start: date, end: date) -> set[date]:
    """The holidays from ``start`` to ``end``; within a step, one read serves every question."""
    known = reads.peek(_SHARED_KEY)
    if known is None or not (known[0] <= start and end <= known[1]):
        last = max(end, start + SHARED_HORIZON)
        days = set(Holiday.objects.filter(date__range=(start, last)).values_list("date", flat=True))
        known = (start, last, days)
        reads.keep(_SHARED_KEY, known)
    return {day for day in known[2] if start <= day <= end}


_SHARED_KEY = "workflow.calendar"


class _JoinedDates(Func):
    """The dates of the rows, as one comma-separated text (``YYYY-MM-DD,…``)."""

    template = "STRING_AGG(CAST(%(expressions)s AS text), ',')"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="GROUP_CONCAT(%(expressions)s, ',')")


def calendar_ahead(start: date) -> Subquery:
    """The holidays of the shared horizon from ``start``, as a value another read can carry
    (the policy read brings them, so a step reads policy and calendar in one statement)."""
    days = (
        Holiday.objects.filter(date__range=(start, start + SHARED_HORIZON))
        .order_by()
        .annotate(days=_JoinedDates("date"))
        .values("days")
    )
    return Subquery(days, output_field=TextField())


def share_calendar(start: date, joined: str | None) -> None:
    """Keep the holidays :func:`calendar_ahead` brought for the rest of the step."""
    days = {date.fromisoformat(day) for day in (joined or "").split(",") if day}
    reads.keep(_SHARED_KEY, (start, start + SHARED_HORIZON, days))


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
