from datetime import date, datetime

import pytest

from workflow.calendar import add_business_days, is_business_day

FRIDAY = datetime(2026, 10, 30, 10, 0)  # noqa: DTZ001 - the calendar works on any datetime
NATIONAL_DAY = {date(2026, 10, 1), date(2026, 10, 2)}


def test_weekends_are_not_business_days():
    assert is_business_day(date(2026, 10, 30), set())
    assert not is_business_day(date(2026, 10, 31), set())  # Saturday
    assert not is_business_day(date(2026, 11, 1), set())  # Sunday


def test_adding_business_days_skips_the_weekend_and_keeps_the_time():
    assert add_business_days(FRIDAY, 1, set()) == datetime(2026, 11, 2, 10, 0)  # noqa: DTZ001
    assert add_business_days(FRIDAY, 3, set()) == datetime(2026, 11, 4, 10, 0)  # noqa: DTZ001


def test_adding_business_days_skips_holidays():
    wednesday = datetime(2026, 9, 30, 9, 0)  # noqa: DTZ001
    assert add_business_days(wednesday, 1, NATIONAL_DAY) == datetime(2026, 10, 5, 9, 0)  # noqa: DTZ001


def test_counting_from_a_saturday_starts_on_monday():
    saturday = datetime(2026, 10, 31, 15, 0)  # noqa: DTZ001
    assert add_business_days(saturday, 1, set()) == datetime(2026, 11, 2, 15, 0)  # noqa: DTZ001


def test_zero_days_is_the_start_itself():
    assert add_business_days(FRIDAY, 0, set()) == FRIDAY


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_days(FRIDAY, -1, set())
