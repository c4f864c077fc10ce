"""Repayment schedules, allocation and days past due: the pure arithmetic (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.servicing import schedule_maths as m

D = Decimal
START = date(2025, 1, 31)


def plan(amount: str, rate: str, months: int, method: str) -> list[m.Instalment]:
    return m.schedule(
        amount=D(amount), annual_rate=D(rate), term_months=months, method=method, start=START
    )


# --- figures computed independently ------------------------------------------------------------


def test_equal_instalment_is_the_annuity_formula_computed_in_floats() -> None:
    principal, rate, months = 250_000.0, 0.0385 / 12, 36
    growth = (1 + rate) ** months
    expected = round(principal * rate * growth / (growth - 1), 2)
    assert float(m.annuity_payment(D(250_000), D("0.0385"), months)) == pytest.approx(expected)


def test_published_example_100k_12_months_at_435_equal_instalments() -> None:
    # The widely published example: CNY 100,000 over 12 months at 4.35 %: 8,530.99 a month.
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    assert all(row.total == D("8530.99") for row in rows[:-1])
    assert rows[0].interest == D("362.50")  # 100,000 x 4.35 % / 360 x 30
    assert rows[0].principal == D("8168.49")
    assert sum(row.principal for row in rows) == D(100_000)
    assert abs(sum(row.interest for row in rows) - D("2371.88")) <= D("0.05")


def test_published_example_100k_12_months_at_435_equal_principal() -> None:
    # First month 8,695.83, falling by 30.21 a month; total interest 2,356.25 (P·r·(n+1)/2).
    rows = plan("100000", "0.0435", 12, m.EQUAL_PRINCIPAL)
    assert rows[0].total == D("8695.83")
    assert rows[0].total - rows[1].total == D("30.21")
    assert all(row.principal == D("8333.33") for row in rows[:-1])
    assert rows[-1].principal == D("8333.37")
    assert abs(sum(row.interest for row in rows) - D("2356.25")) <= D("0.05")


def test_published_example_one_million_30_years_at_49() -> None:
    # The mortgage example every calculator shows: 5,307.27 a month; equal principal starts at
    # 6,861.11 and falls by 11.34 a month.
    annuity = plan("1000000", "0.049", 360, m.EQUAL_INSTALMENTS)
    assert annuity[0].total == D("5307.27")
    linear = plan("1000000", "0.049", 360, m.EQUAL_PRINCIPAL)
    assert linear[0].total == D("6861.11")
    assert linear[0].total - linear[1].total == D("11.34")


def test_interest_only_pays_the_principal_at_maturity() -> None:
    rows = plan("50000", "0.036", 6, m.INTEREST_ONLY)
    assert [row.principal for row in rows] == [D(0)] * 5 + [D(50_000)]
    assert all(row.interest == D("150.00") for row in rows)  # 50,000 x 3.6 % / 12


def test_bullet_is_one_instalment_with_the_interest_of_every_period() -> None:
    rows = plan("50000", "0.036", 6, m.BULLET)
    assert len(rows) == 1
    assert rows[0].due_date == date(2025, 7, 31)
    assert rows[0].interest == D("900.00")


def test_due_dates_keep_the_day_or_fall_on_the_months_last_day() -> None:
    rows = plan("12000", "0.04", 3, m.EQUAL_PRINCIPAL)
    assert [row.due_date for row in rows] == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_half_a_fen_rounds_up() -> None:
    assert m.fen(D("0.005")) == D("0.01")
    assert m.fen(D("2.675")) == D("2.68")


# --- properties --------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("1000.00"), max_value=D("10000000.00"), places=2)
terms = st.integers(min_value=1, max_value=120)
rates = st.decimals(min_value=D("0"), max_value=D("0.24"), places=4)
methods = st.sampled_from(m.METHODS)


@settings(max_examples=200, deadline=None)
@given(amount=amounts, months=terms, rate=rates, method=methods)
def test_principal_sums_to_the_amount_to_the_fen(
    amount: Decimal, months: int, rate: Decimal, method: str
) -> None:
    rows = m.schedule(
        amount=amount, annual_rate=rate, term_months=months, method=method, start=START
    )
    assert sum(row.principal for row in rows) == amount
    assert all(row.principal >= 0 and row.interest >= 0 for row in rows)
    assert len(rows) <= months


@settings(max_examples=200, deadline=None)
@given(amount=amounts, months=terms, rate=rates)
def test_equal_instalments_are_equal_except_the_last(
    amount: Decimal, months: int, rate: Decimal
) -> None:
    rows = m.schedule(
        amount=amount,
        annual_rate=rate,
        term_months=months,
        method=m.EQUAL_INSTALMENTS,
        start=START,
    )
    assert len({row.total for row in rows[:-1]}) <= 1


# --- allocation --------------------------------------------------------------------------------

RATE = D("0.0435")
MARKUP = D("0.5")


def states(rows: list[m.Instalment]) -> list[m.InstalmentState]:
    return [m.InstalmentState(row) for row in rows]


def pay(found: list[m.InstalmentState], amount: str, on: date) -> m.AllocationResult:
    return m.allocate(found, amount=D(amount), paid_on=on, annual_rate=RATE, overdue_markup=MARKUP)


def test_a_repayment_pays_the_oldest_due_instalment_interest_first() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "8530.99", date(2025, 2, 28))
    assert result.allocations == [m.Allocation(1, D(0), D("362.50"), D("8168.49"))]
    assert result.states[0].settled
    assert result.prepaid == 0


def test_a_partial_repayment_pays_interest_before_principal() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "500", date(2025, 2, 28))
    assert result.allocations == [m.Allocation(1, D(0), D("362.50"), D("137.50"))]
    assert result.states[0].principal_due == D("8030.99")


def test_a_late_repayment_pays_overdue_interest_first() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    # Ten days late: 8,168.49 x 4.35 % x 1.5 / 360 x 10 = 14.805, 14.81 overdue interest.
    result = pay(states(rows), "8530.99", date(2025, 3, 10))
    assert result.allocations[0].overdue_interest == D("14.81")
    assert result.allocations[0].interest == D("362.50")
    assert result.allocations[0].principal == D("8153.68")
    assert not result.states[0].settled


def test_two_instalments_due_are_paid_oldest_first() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "9000", date(2025, 3, 31))
    assert [a.number for a in result.allocations] == [1, 2]
    assert result.states[0].settled
    assert not result.states[1].settled


def test_a_repayment_before_the_due_date_pays_the_next_instalment() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "8530.99", date(2025, 2, 20))
    assert result.states[0].settled
    assert result.prepaid == 0


def test_more_than_the_next_instalment_is_principal_repaid_early() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "20000", date(2025, 2, 20))
    assert result.prepaid == D("11469.01")
    assert [a.number for a in result.allocations] == [1]


def test_early_repayment_reamortised_lowers_the_instalments_over_the_same_term() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "20000", date(2025, 2, 20))
    new = m.remade(
        result.states,
        prepaid=result.prepaid,
        annual_rate=RATE,
        method=m.EQUAL_INSTALMENTS,
        mode=m.REAMORTISE,
        start=START,
    )
    assert len(new) == 12
    assert new[0] == rows[0]
    assert new[1].total < rows[1].total
    assert new[1].due_date == rows[1].due_date
    balance = D(100_000) - rows[0].principal - result.prepaid
    assert sum(row.principal for row in new[1:]) == balance


def test_early_repayment_shortened_keeps_the_instalment_and_ends_sooner() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "20000", date(2025, 2, 20))
    new = m.remade(
        result.states,
        prepaid=result.prepaid,
        annual_rate=RATE,
        method=m.EQUAL_INSTALMENTS,
        mode=m.SHORTEN,
        start=START,
    )
    assert len(new) < 12
    assert all(row.total == D("8530.99") for row in new[:-1])
    assert [row.number for row in new] == list(range(1, len(new) + 1))
    assert sum(row.principal for row in new) == D(100_000) - result.prepaid


# --- days past due -----------------------------------------------------------------------------


def test_days_past_due_count_from_the_oldest_unpaid_instalment() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    assert m.days_past_due(rows, [], date(2025, 2, 28)) == 0  # due today: not yet past due
    assert m.days_past_due(rows, [], date(2025, 3, 1)) == 1
    assert m.days_past_due(rows, [], date(2025, 4, 10)) == 41  # since 28 February


def test_days_past_due_see_only_repayments_made_by_that_date() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    paid = [m.Paid(1, date(2025, 3, 5), D("362.50"), D("8168.49"))]
    assert m.days_past_due(rows, paid, date(2025, 3, 4)) == 4
    assert m.days_past_due(rows, paid, date(2025, 3, 5)) == 0
    assert m.days_past_due(rows, paid, date(2025, 4, 2)) == 2  # the second, due 31 March


def test_a_partly_paid_instalment_stays_past_due() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    paid = [m.Paid(1, date(2025, 2, 28), D("362.50"), D("8000"))]
    assert m.days_past_due(rows, paid, date(2025, 3, 10)) == 10


def test_on_a_due_date_the_next_periods_instalment_is_not_paid_ahead() -> None:
    rows = plan("100000", "0.0435", 12, m.EQUAL_INSTALMENTS)
    result = pay(states(rows), "20000", date(2025, 2, 28))
    assert [a.number for a in result.allocations] == [1]
    assert result.prepaid == D("11469.01")
