"""Extension (展期): the policy's limits and the schedule over the extended term (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.models import PolicyVersion
from loans.servicing import extension as ext
from loans.servicing import schedule_maths as m

D = Decimal
START = date(2026, 1, 31)
RATE = D("0.0435")
LIMITS = ext.ExtensionLimits()


def plan(amount: str, months: int, method: str) -> list[m.Instalment]:
    return m.schedule(
        amount=D(amount), annual_rate=RATE, term_months=months, method=method, start=START
    )


def paid_up_to(rows: list[m.Instalment], settled: int) -> list[m.InstalmentState]:
    """The states of ``rows`` with the first ``settled`` instalments paid in full."""
    return [
        m.InstalmentState(row, principal_paid=row.principal, interest_paid=row.interest)
        if row.number <= settled
        else m.InstalmentState(row)
        for row in rows
    ]


# --- the limits (General Rules on Loans, art. 12) -----------------------------------------------


@pytest.mark.parametrize(
    ("term", "most"),
    [
        (6, 6),  # short-term: at most the original term
        (12, 12),
        (13, 6),  # medium-term: at most half of it, in whole months
        (24, 12),
        (25, 12),
        (60, 30),
        (61, 36),  # long-term: at most three years
        (120, 36),
        (0, 0),
    ],
)
def test_the_most_an_extension_may_add_follows_the_term(term, most):
    assert ext.most_months(term, LIMITS) == most


def test_the_limit_counts_every_extension_already_approved():
    assert ext.months_left(12, 4, LIMITS) == 8
    assert ext.months_left(24, 12, LIMITS) == 0
    assert ext.months_left(24, 15, LIMITS) == 0  # never below zero


def test_the_limits_are_settings_of_the_policy_version():
    policy = PolicyVersion(
        extension_short_term_up_to_months=6,
        extension_medium_term_up_to_months=36,
        extension_medium_term_share=D("0.250"),
        extension_long_term_most_months=24,
    )
    limits = policy.extension_limits
    assert ext.most_months(6, limits) == 6
    assert ext.most_months(12, limits) == 3
    assert ext.most_months(48, limits) == 24
    assert PolicyVersion().extension_limits == LIMITS  # the defaults are the regulation's


# --- the schedule over the extended term --------------------------------------------------------


def test_an_extension_reamortises_what_is_left_to_the_new_maturity():
    rows = plan("100000", 12, m.EQUAL_INSTALMENTS)
    states = paid_up_to(rows, 3)

    new = ext.extended(states, months=6, annual_rate=RATE, method=m.EQUAL_INSTALMENTS, start=START)

    assert new[:3] == rows[:3]  # the settled instalments stay as they were
    assert [row.number for row in new] == list(range(1, 19))
    assert new[-1].due_date == m.add_months(START, 18) == date(2027, 7, 31)
    left = sum((row.principal for row in rows[3:]), D(0))
    assert sum((row.principal for row in new[3:]), D(0)) == left  # to the fen
    # Equal instalments again, over 15 periods: the annuity of what is left.
    level = m.annuity_payment(left, RATE, 15)
    assert {row.total for row in new[3:-1]} == {level}
    assert new[3].interest == m.period_interest(left, RATE)
    assert new[3].total < rows[3].total  # more time, lower instalments


def test_a_loan_disbursed_on_the_31st_matures_on_a_months_last_day():
    maturity = m.add_months(START, 1)
    assert maturity == date(2026, 2, 28)
    assert ext.new_maturity(maturity, months=1, start=START) == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("method", "check"),
    [
        (m.EQUAL_PRINCIPAL, lambda new: {r.principal for r in new[:-1]} == {D("6250.00")}),
        (m.INTEREST_ONLY, lambda new: [r.principal for r in new[:-1]] == [D(0)] * 15),
        (m.BULLET, lambda new: len(new) == 1 and new[0].interest == D("5800.00")),
    ],
)
def test_an_extension_keeps_the_loans_repayment_method(method, check):
    rows = plan("100000", 12, method)
    new = ext.extended(paid_up_to(rows, 0), months=4, annual_rate=RATE, method=method, start=START)

    assert check(new)
    assert new[-1].due_date == m.add_months(START, 16)
    assert sum((row.principal for row in new), D(0)) == D(100000)


def test_an_extension_adds_at_least_a_month_to_something_left_to_repay():
    rows = plan("1000", 3, m.EQUAL_INSTALMENTS)
    with pytest.raises(ValueError, match="at least one month"):
        ext.extended(paid_up_to(rows, 0), months=0, annual_rate=RATE, method=m.BULLET, start=START)
    with pytest.raises(ValueError, match="nothing is left"):
        ext.extended(paid_up_to(rows, 3), months=1, annual_rate=RATE, method=m.BULLET, start=START)


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=1_000, max_value=5_000_000),
    term=st.integers(min_value=1, max_value=60),
    settled=st.integers(min_value=0, max_value=59),
    months=st.integers(min_value=1, max_value=36),
    method=st.sampled_from(m.METHODS),
)
def test_an_extended_schedule_repays_exactly_what_was_left(amount, term, settled, months, method):
    rows = plan(str(amount), term, method)
    settled = min(settled, len(rows) - 1)
    new = ext.extended(
        paid_up_to(rows, settled), months=months, annual_rate=RATE, method=method, start=START
    )

    left = sum((row.principal for row in rows if row.number > settled), D(0))
    assert sum((row.principal for row in new if row.number > settled), D(0)) == left
    assert max(row.due_date for row in new) == ext.new_maturity(
        rows[-1].due_date, months=months, start=START
    )
    assert all(row.principal >= 0 and row.interest >= 0 for row in new)
