"""Inspections and business days count the bank's local dates (Asia/Shanghai, UTC+8), not UTC.

Each case sits at an edge where the UTC date and the Beijing date differ: 16:00 UTC is midnight
in Beijing, so 23:30 UTC is already 07:30 of the next day there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from loans.journeys import act, advance
from loans.models import Loan
from loans.schedule import stage_plan
from loans.states import LoanState
from workflow.engine import InvalidInput
from workflow.models import Holiday

pytestmark = pytest.mark.django_db


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def disbursed(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    # Paid out at 00:30 on 3 March in Beijing: still 2 March in UTC.
    Loan.objects.filter(pk=loan.pk).update(disbursed_at=utc(2, 16, 30))
    loan.refresh_from_db()
    return loan


def inspect(loan, manager, at: datetime):
    return act(
        loan,
        "inspection_record",
        manager,
        kind="first",
        mode="on_site",
        inspected_at=at,
        findings="Shop open, stock as stated.",
        funds_used_as_stated=True,
    )


def refusal(loan, manager, at: datetime) -> list[str]:
    with pytest.raises(InvalidInput) as invalid:
        inspect(loan, manager, at)
    return [r.code for r in invalid.value.decision.input_errors]


def test_an_inspection_late_on_the_evening_before_the_disbursement_day_is_refused(
    disbursed, manager
):
    # 23:30 on 2 March in Beijing: the same UTC date as the disbursement, the day before it here.
    with time_machine.travel(utc(4, 2), tick=False):
        assert refusal(disbursed, manager, utc(2, 15, 30)) == ["inspection_dated"]


def test_an_inspection_on_the_disbursement_day_before_its_hour_is_accepted(disbursed, manager):
    # 00:10 on 3 March in Beijing, twenty minutes before the money left: the same day.
    with time_machine.travel(utc(4, 2), tick=False):
        inspection = inspect(disbursed, manager, utc(2, 16, 10))

    assert timezone.localdate(inspection.inspected_at).isoformat() == "2026-03-03"


def test_at_2330_utc_an_inspection_dated_that_beijing_morning_is_today_not_tomorrow(
    disbursed, manager
):
    # Now 23:30 UTC on 3 March is 07:30 on 4 March in Beijing; 08:00 there is 00:00 UTC on the 4th.
    with time_machine.travel(utc(3, 23, 30), tick=False):
        inspection = inspect(disbursed, manager, utc(4, 0))

    assert inspection.pk is not None


def test_an_inspection_dated_after_midnight_in_beijing_is_in_the_future(disbursed, manager):
    # Now 23:30 on 3 March in Beijing (15:30 UTC); 00:30 on the 4th there is still the 3rd in UTC.
    with time_machine.travel(utc(3, 15, 30), tick=False):
        assert refusal(disbursed, manager, utc(3, 16, 30)) == ["inspection_dated"]
        later_today = inspect(disbursed, manager, utc(3, 15, 59))  # 23:59 in Beijing

    assert later_today.pk is not None


def test_a_correction_cannot_move_an_inspection_before_the_disbursement_day(disbursed, manager):
    with time_machine.travel(utc(4, 2), tick=False):
        inspection = inspect(disbursed, manager, utc(3, 2))
        with pytest.raises(InvalidInput) as invalid:
            act(
                disbursed,
                "inspection_correct",
                manager,
                record=inspection,
                inspected_at=utc(2, 15, 30),
                reason="Typed the wrong evening.",
            )

    assert [r.code for r in invalid.value.decision.input_errors] == ["inspection_dated"]


@pytest.mark.parametrize(
    ("moment", "due_local"),
    [
        # Friday 20:00 UTC is Saturday 04:00 in Beijing: counting starts on Monday there, so
        # three business days fall on Wednesday (counted on UTC dates it would be Thursday).
        (datetime(2026, 10, 23, 20, 0, tzinfo=UTC), "2026-10-28 04:00"),
        # Sunday 16:30 UTC is Monday 00:30 in Beijing: Monday is a business day already.
        (datetime(2026, 10, 25, 16, 30, tzinfo=UTC), "2026-10-29 00:30"),
        # Friday 15:59 UTC is Friday 23:59 in Beijing: the weekend follows.
        (datetime(2026, 10, 23, 15, 59, tzinfo=UTC), "2026-10-28 23:59"),
    ],
)
def test_a_stage_sla_counts_business_days_on_beijing_dates(loan, moment, due_local):
    plan = stage_plan(loan, LoanState.INTAKE, moment)  # intake: 3 business days by default

    assert f"{timezone.localtime(plan.due_at):%Y-%m-%d %H:%M}" == due_local


def test_a_holiday_on_the_beijing_monday_is_skipped_from_a_utc_friday_evening(loan):
    Holiday.objects.create(date=date(2026, 10, 26), name="local holiday")
    friday_evening_utc = datetime(2026, 10, 23, 20, 0, tzinfo=UTC)  # Saturday 04:00 in Beijing

    plan = stage_plan(loan, LoanState.INTAKE, friday_evening_utc)

    assert f"{timezone.localtime(plan.due_at):%Y-%m-%d %H:%M}" == "2026-10-29 04:00"
