"""Keyset paging for the web pages: the page of rows, and the Previous and Next links to the
neighbouring pages with the page's filters and sort order kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from loans.keyset import InvalidCursorError, Order, paginate

PAGE_SIZE = 50
# The bounded counts shown beside a list's tabs and columns: "1,000+" above this.
COUNT_CAP = 1000


@dataclass(frozen=True)
class WebPage:
    rows: list[Any]
    next_url: str | None
    previous_url: str | None
    error: str | None = None  # a page link that was not valid: the first page is shown instead

    @property
    def status(self) -> int:
        return 400 if self.error else 200


def web_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    order: Order,
    *,
    size: int | None = None,
    param: str = "cursor",
) -> WebPage:
    """The page ``request`` asks for (its ``cursor`` parameter), with links to its neighbours."""
    size = size or PAGE_SIZE
    error = None
    try:
        page = paginate(queryset, order, request.GET.get(param) or None, size=size)
    except InvalidCursorError:
        error = _(
            "That page link is not valid (it was changed or is for another sort order): "
            "here is the first page."
        )
        page = paginate(queryset, order, None, size=size)
    return WebPage(
        rows=page.rows,
        next_url=_link(request, param, page.next_cursor),
        previous_url=_link(request, param, page.previous_cursor),
        error=error,
    )


def _link(request: HttpRequest, param: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = request.GET.copy()
    query[param] = cursor
    return f"?{query.urlencode()}"


@dataclass(frozen=True)
class Count:
    """A count as shown to users: exact up to ``COUNT_CAP``, "1,000+" above."""

    value: int
    more: bool

    @classmethod
    def bounded(cls, value: int, cap: int) -> Count:
        return cls(min(value, cap), value > cap)

    def __str__(self) -> str:
        return f"{intcomma(self.value)}{'+' if self.more else ''}"

    def __bool__(self) -> bool:
        return self.value > 0
