"""The loan page's collection fragment reads the loan's cases through the selector."""

from __future__ import annotations

from typing import Any

from django import template

from recovery.selectors import cases_of_loan

register = template.Library()


@register.simple_tag(takes_context=True)
def collection_cases_of(context: dict[str, Any], loan: Any) -> list[Any]:
    """The collection cases of ``loan`` that the signed-in user may see, newest first."""
    return list(cases_of_loan(loan, context["request"].user))
