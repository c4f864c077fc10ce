"""The loan page's watch-list fragment reads the loan's items through the selector."""

from __future__ import annotations

from typing import Any

from django import template

from watch.rules import reason_of, signal_title
from watch.selectors import items_of_loan

register = template.Library()


@register.simple_tag(takes_context=True)
def watch_items_of(context: dict[str, Any], loan: Any) -> list[dict[str, Any]]:
    """The watch-list items of ``loan`` the signed-in user may see, open ones first."""
    items = items_of_loan(loan, context["request"].user).order_by("-state", "due_at", "id")
    return [
        {"item": i, "title": signal_title(i.signal), "reason": reason_of(i.signal, i.facts)}
        for i in items
    ]
