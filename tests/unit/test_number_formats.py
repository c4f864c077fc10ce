"""Amounts read grouped by thousands in both languages, as banks print them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

AMOUNT = Template("{% load humanize %}¥{{ amount|floatformat:2|intcomma }} {{ amount|intcomma }}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_amount_is_grouped_by_thousands(language):
    with translation.override(language):
        shown = AMOUNT.render(Context({"amount": Decimal("1234567.5")}))

    assert shown == "¥1,234,567.50 1,234,567.5"
