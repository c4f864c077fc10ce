"""Insight's pure parts: the bands, a limit's status at its edges, the measurement's sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from insight.buckets import AMOUNT_BANDS, TERM_BANDS, UNKNOWN, band_of
from insight.measure import LoanFacts, Tally, combine
from insight.structure import Status, month_ends, status_of

D = Decimal


@pytest.mark.parametrize(
    ("months", "band"),
    [
        (1, "upto12"),
        (12, "upto12"),
        (13, "13to36"),
        (36, "13to36"),
        (60, "37to60"),
        (61, "over60"),
        (None, UNKNOWN),
    ],
)
def test_a_term_falls_in_one_band_upper_edge_included(months, band):
    assert band_of(TERM_BANDS, months) == band


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (D(100_000), "upto100k"),
        (D("100000.01"), "100kto500k"),
        (D(3_000_000), "1mto3m"),
        (D(3_000_001), "over3m"),
    ],
)
def test_an_amount_falls_in_one_band(amount, band):
    assert band_of(AMOUNT_BANDS, amount) == band


@pytest.mark.parametrize(
    ("share", "status"),
    [
        (D("0.26"), Status.OK),
        (D("0.27"), Status.NEAR),
        (D("0.30"), Status.NEAR),
        (D("0.3001"), Status.OVER),
    ],
)
def test_near_from_ninety_percent_of_the_limit_over_above_it(share, status):
    assert status_of(share, D("0.300")) == status


def facts(**fields):
    base = {
        "branch_id": 1,
        "state": "post_loan",
        "balance": D(100),
        "risk_class": 1,
        "industry": "F",
        "product": "MERCHANT",
        "guarantee_type": "credit",
        "term_months": 12,
        "amount": D(1000),
        "manager_id": 7,
        "group": "",
    }
    return LoanFacts(**{**base, **fields})


def test_a_loan_taken_away_leaves_no_trace_and_others_add_up():
    tally = Tally()
    tally.add(facts())
    tally.add(facts(industry="A", balance=D(50)))
    tally.add(facts(state="closed", balance=D(999)))  # not in the portfolio
    tally.add(facts(industry="A", balance=D(50)), sign=-1)

    assert (tally.balance, tally.count) == (D(100), 1)
    assert tally.figures()["industry"] == {"F": ["100.00", 1]}
    both = combine([tally.figures(), tally.figures()])
    assert both["industry"]["F"].balance == D(200)
    assert both["industry"]["F"].count == 2


def test_the_trend_reads_the_twelve_month_ends_before_the_latest_day():
    from datetime import date

    ends = month_ends(date(2026, 3, 15))

    assert len(ends) == 12
    assert ends[0] == date(2025, 3, 31)
    assert ends[-1] == date(2026, 2, 28)
