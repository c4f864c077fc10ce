"""The API's paging: keyset cursors (``loans.keyset``), so a deep page costs what the first does.

Every list answers ``{"next": url | null, "previous": url | null, "results": [...]}``; a client
follows ``next`` to the end. ``page_size`` (1 to 200, default 50) sets the page's length. A cursor
the API did not make answers 400 ``invalid_cursor``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from loans.keyset import InvalidCursorError, Order, paginate


class CursorNotValidError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_cursor"
    default_detail = "The cursor is not one this list made: follow the next and previous links."


class KeysetPagination(CursorPagination):
    """Pages in the view's ``keyset_order`` (newest first by default), ``page_size`` rows each.

    DRF's own cursor paging keys on the first field and skips ties by offset; this one compares
    every key of the order at once, so ties cost nothing and an index on the keys serves each page.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    default_order = Order("newest", ("created_at", "id"), descending=True)

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        order = self.order_for(request, view)
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param) or None
        try:
            page = paginate(queryset, order, cursor, size=size or self.page_size)
        except InvalidCursorError:
            raise CursorNotValidError from None
        self._next, self._previous = page.next_cursor, page.previous_cursor
        return page.rows

    def order_for(self, request: Request, view: Any) -> Order:
        chosen = getattr(view, "keyset_order", None)
        if callable(chosen):
            chosen = chosen(request)
        return chosen or self.default_order

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: copy it from a next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None or self.base_url is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        return self._link(self._next)

    def get_previous_link(self) -> str | None:
        return self._link(self._previous)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )


class AuditPagination(KeysetPagination):
    """A loan's audit trail, in the order it was written."""

    default_order = Order("seq", ("seq",))  # one chain: its positions are unique
