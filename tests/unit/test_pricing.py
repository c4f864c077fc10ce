"""Pricing: the LPR basis by term, the LPR in force on a day, floors and pricing authority."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from loans.choices import LprTenor
from loans.models import PolicyVersion
from loans.servicing import pricing

TABLE = [
    {"effective": "2024-10-21", "one_year": "3.10", "five_year": "3.60"},
    {"effective": "2025-05-20", "one_year": "3.00", "five_year": "3.50"},
]


@pytest.mark.parametrize(
    ("months", "tenor"),
    [(1, LprTenor.ONE_YEAR), (60, LprTenor.ONE_YEAR), (61, LprTenor.FIVE_YEAR)],
)
def test_up_to_five_years_is_priced_on_the_one_year_lpr(months, tenor):
    assert pricing.tenor_for(months) == tenor


def test_the_lpr_is_the_latest_effective_on_the_day():
    assert pricing.lpr_on(TABLE, date(2025, 5, 19), LprTenor.ONE_YEAR) == (
        Decimal("3.10"),
        date(2024, 10, 21),
    )
    assert pricing.lpr_on(TABLE, date(2025, 5, 20), LprTenor.FIVE_YEAR) == (
        Decimal("3.50"),
        date(2025, 5, 20),
    )
    with pytest.raises(LookupError):
        pricing.lpr_on(TABLE, date(2024, 1, 1), LprTenor.ONE_YEAR)


def test_the_rate_is_the_lpr_plus_the_spread():
    price = pricing.Price(LprTenor.ONE_YEAR, Decimal("3.00"), date(2025, 5, 20), -15)
    assert price.annual_rate == Decimal("2.85")


def test_floors_by_product_and_pricing_latitude_by_level():
    policy = PolicyVersion()
    assert policy.spread_floor("MERCHANT") == 80
    assert policy.spread_floor("UNKNOWN") == 0
    assert [policy.pricing_latitude(level) for level in (None, 1, 2, 3)] == [0, 0, 20, 50]


@pytest.mark.parametrize(
    "table",
    [
        [],
        "3.00",
        [{"effective": "2025-13-01", "one_year": "3", "five_year": "3.5"}],
        [{"effective": "2025-05-20", "one_year": "0", "five_year": "3.5"}],
        [{"one_year": "3"}],
    ],
)
def test_a_malformed_lpr_table_is_refused(table):
    assert pricing.lpr_table_errors(table) is not None


def test_the_default_lpr_table_is_well_formed():
    assert pricing.lpr_table_errors(PolicyVersion().loan_prime_rates) is None
