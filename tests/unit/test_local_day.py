"""The bank's calendar day of a moment, at the edges of Python's calendar. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from loans.checks.entry import local_day


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), date.max),  # Beijing: year 10000
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), date.min),  # UTC: year 0
        (datetime(2026, 3, 1, 1, 0, tzinfo=UTC), date(2026, 3, 1)),
        (datetime(2026, 3, 1, 20, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 1, 20, 0), date(2026, 3, 1)),  # naive: already the bank's time  # noqa: DTZ001
        (date(1, 1, 1), date(1, 1, 1)),
    ],
)
def test_a_moment_beyond_the_calendar_is_its_first_or_last_day(moment, day):
    assert local_day(moment) == day
