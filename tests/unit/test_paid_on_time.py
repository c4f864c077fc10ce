"""The record of paying on time that a non-performing loan's upgrade needs
(loans/servicing/performance.py): the count starts when the arrears are repaid and restarts
after a missed instalment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from loans.servicing.performance import on_time_record
from loans.servicing.schedule_maths import Instalment, Paid

START = date(2026, 1, 15)
ROWS = [Instalment(n, date(2026, 1 + n, 15), Decimal(1000), Decimal(50)) for n in range(1, 7)]


def paid(number: int, on: date, amount: str = "1050") -> Paid:
    return Paid(number, on, Decimal(0), Decimal(amount))


def allowed(record, on: date) -> bool:
    return record.allows_upgrade(on, periods=2, months=6)


def test_it_counts_from_the_day_the_arrears_were_repaid():
    late = date(2026, 2, 25)
    payments = [paid(1, late), paid(2, date(2026, 3, 15))]

    record = on_time_record(ROWS, payments, start=START, on=date(2026, 3, 20))

    assert (record.since, record.periods, record.in_arrears) == (late, 1, False)
    assert not allowed(record, date(2026, 3, 20))


def test_it_allows_two_periods_on_time():
    payments = [paid(1, date(2026, 2, 25)), paid(2, date(2026, 3, 15)), paid(3, date(2026, 4, 14))]

    record = on_time_record(ROWS, payments, start=START, on=date(2026, 4, 15))

    assert record.periods == 2
    assert allowed(record, date(2026, 4, 15))


def test_an_instalment_paid_in_part_by_its_due_date_is_not_on_time():
    payments = [paid(1, date(2026, 2, 15), "1000"), paid(1, date(2026, 2, 16), "50")]

    record = on_time_record(ROWS, payments, start=START, on=date(2026, 2, 20))

    assert (record.since, record.periods) == (date(2026, 2, 16), 0)


def test_an_instalment_due_and_unpaid_is_arrears():
    record = on_time_record(ROWS, [paid(1, date(2026, 2, 15))], start=START, on=date(2026, 3, 16))

    assert record.in_arrears
    assert not allowed(record, date(2026, 12, 31))


def test_an_instalment_due_today_and_unpaid_is_not_arrears_yet():
    record = on_time_record(ROWS, [paid(1, date(2026, 2, 15))], start=START, on=date(2026, 3, 15))

    assert (record.in_arrears, record.periods) == (False, 1)


def test_a_later_missed_instalment_restarts_the_count():
    payments = [
        paid(1, date(2026, 2, 15)),
        paid(2, date(2026, 3, 15)),
        paid(3, date(2026, 4, 20)),  # missed, repaid five days late
        paid(4, date(2026, 5, 15)),
    ]

    record = on_time_record(ROWS, payments, start=START, on=date(2026, 5, 16))

    assert (record.since, record.periods) == (date(2026, 4, 20), 1)
    assert not allowed(record, date(2026, 5, 16))


def test_six_months_allow_it_without_two_periods_due():
    bullet = [Instalment(1, date(2027, 1, 15), Decimal(12000), Decimal(600))]

    record = on_time_record(bullet, [], start=START, on=date(2026, 7, 15))

    assert record.periods == 0
    assert not allowed(record, date(2026, 7, 14))
    assert allowed(record, date(2026, 7, 15))
    assert record.upgrade_from(6) == date(2026, 7, 15)


def test_payments_after_the_day_judged_do_not_count():
    payments = [paid(1, date(2026, 2, 15)), paid(2, date(2026, 3, 20))]

    record = on_time_record(ROWS, payments, start=START, on=date(2026, 3, 18))

    assert record.in_arrears
