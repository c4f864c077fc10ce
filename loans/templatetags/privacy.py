"""``{{ value|masked:"id_number" }}``: a personal fact as every page shows it.

The rule is loans.personal_data's, the same as the API's and the exports'."""

from typing import Any

from django import template

from loans.personal_data import mask, mask_facts

register = template.Library()


@register.filter
def masked(value: Any, field: str) -> str:
    return mask(value, field)


@register.filter
def masked_facts(value: Any) -> Any:
    """A payload or snapshot with its personal fields masked."""
    return mask_facts(value)
