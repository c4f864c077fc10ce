"""Money and shares as people read them: ¥1,234,567.89 and 65.0 %."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"¥{intcomma(floatformat(Decimal(value), '2g'))}"


@register.filter
def percent(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{floatformat(Decimal(value) * 100, 1)}%"
