"""The repayment schedule of the loan page, as one include: ``{% repayment_schedule loan %}``."""

from __future__ import annotations

from typing import Any

from django import template

from loans.servicing.selectors import repayment_schedule_of

register = template.Library()


@register.inclusion_tag("loans/_repayment_schedule.html")
def repayment_schedule(loan: Any) -> dict[str, Any]:
    return {"loan": loan, "found": repayment_schedule_of(loan)}
