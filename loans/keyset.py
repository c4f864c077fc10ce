"""Keyset ("seek") paging: every page of a list costs what the first one costs.

A page is the ``size`` rows that follow (or precede) the last row seen, in an order whose keys end
with a unique one (the primary key), so rows that tie on the sort key are neither skipped nor
repeated. The position is a row comparison ``(k1, …, id) < (v1, …, id)`` that an index on the same
keys serves, so the database reads ``size + 1`` index entries wherever the page is: no ``OFFSET``
that walks over the pages before it, and no ``COUNT(*)``.

Cursors are opaque to the user: the sort's name, the direction and the key values of the row at the
edge of the page, signed so a cursor that was altered, or made for another sort order, is refused
(``InvalidCursorError``) rather than reaching the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import F, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

SALT = "loanflow.keyset"


class InvalidCursorError(ValueError):
    """A cursor this list did not make: altered, truncated, or for another sort order."""


@dataclass(frozen=True)
class Order:
    """A sort order for keyset paging. ``keys`` are fields or annotations of the queryset, never
    NULL (wrap a nullable one in ``Coalesce``), all in the same direction; the last is unique."""

    name: str
    keys: tuple[str, ...]
    descending: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


def paginate(queryset: QuerySet[Any], order: Order, cursor: str | None, *, size: int) -> Page:
    """The page of ``queryset`` in ``order`` after (or, for a "previous" cursor, before) the row
    ``cursor`` names; the first page without one. One query."""
    forward, values = (True, None) if not cursor else decode(cursor, order)
    descending = order.descending == forward  # a backward page reads the order reversed
    rows = queryset
    if values is not None:
        lookup = TupleLessThan if descending else TupleGreaterThan
        key = Tuple(*(F(name) for name in order.keys))
        rows = rows.filter(lookup(key, tuple(values)))
    rows = rows.order_by(*(f"-{name}" if descending else name for name in order.keys))
    found = list(rows[: size + 1])
    more = len(found) > size
    found = found[:size]
    if not forward:
        found.reverse()
    if not found:
        return Page(rows=[], next_cursor=None, previous_cursor=None)
    # Reading forward, there is a next page if a row more was found, a previous one if this page
    # was reached by a cursor; reading backward (a "previous" link), the other way round.
    has_next = more if forward else True
    has_previous = (values is not None) if forward else more
    after_last = encode(order, found[-1], forward=True) if has_next else None
    before_first = encode(order, found[0], forward=False) if has_previous else None
    return Page(rows=found, next_cursor=after_last, previous_cursor=before_first)


def encode(order: Order, row: Any, *, forward: bool) -> str:
    values = [_tagged(_value(row, name)) for name in order.keys]
    return signing.dumps({"o": order.name, "f": forward, "k": values}, salt=SALT, compress=True)


def decode(cursor: str, order: Order) -> tuple[bool, list[Any]]:
    """The direction and key values of ``cursor``, made for ``order``; else InvalidCursorError."""
    try:
        data = signing.loads(cursor, salt=SALT)
        if not isinstance(data, dict) or data.get("o") != order.name:
            raise InvalidCursorError(cursor)
        values = data["k"]
        if not isinstance(values, list) or len(values) != len(order.keys):
            raise InvalidCursorError(cursor)
        return bool(data["f"]), [_untagged(value) for value in values]
    except (signing.BadSignature, KeyError, TypeError, ValueError, UnicodeError) as error:
        raise InvalidCursorError(cursor) from error


def _value(row: Any, name: str) -> Any:
    value = row
    for part in name.split("__"):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value.pk if isinstance(value, Model) else value


# JSON carries text and numbers; the key types a list sorts on are tagged so they come back typed.
_TAGS: Sequence[tuple[str, type, Any]] = (
    ("t", datetime, datetime.fromisoformat),
    ("D", date, date.fromisoformat),
    ("d", Decimal, Decimal),
)


def _tagged(value: Any) -> Any:
    for tag, kind, _parse in _TAGS:
        if isinstance(value, kind):
            return [tag, value.isoformat() if hasattr(value, "isoformat") else str(value)]
    if value is None or isinstance(value, dict | list):
        raise TypeError(f"cannot page on {value!r}: sort keys must be NOT NULL scalars")
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        tag, text = value
        for known, _kind, parse in _TAGS:
            if tag == known:
                return parse(text)
        raise InvalidCursorError(tag)
    if value is None or isinstance(value, dict):
        raise InvalidCursorError(value)
    return value


def bounded_counts(
    queryset: QuerySet[Any], field: str, values: Sequence[str], *, cap: int
) -> dict[str, int]:
    """How many rows of ``queryset`` have each of ``values`` in ``field``, counting no further than
    ``cap + 1`` each (a count above ``cap`` reads "cap+"): one query, whose cost is bounded by
    ``len(values) × (cap + 1)`` index entries however large the table grows."""
    return bounded_counts_of(
        {value: queryset.filter(**{field: value}) for value in values}, cap=cap
    )


def bounded_counts_of(querysets: Mapping[str, QuerySet[Any]], *, cap: int) -> dict[str, int]:
    """How many rows each of ``querysets`` has, counting no further than ``cap + 1`` each: one
    query of a bounded subquery per name, so its cost is bounded by the index entries read
    (``cap + 1`` each at most) whatever the size of the table."""
    from django.db import connections

    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for index, queryset in enumerate(querysets.values()):
        capped = queryset.order_by().values("pk")[: cap + 1]
        sql, sql_params = capped.query.sql_with_params()
        # The ORM's own SQL, its values passed as parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded_{index})")  # noqa: S608
        params.extend(sql_params)
    db = next(iter(querysets.values())).db
    with connections[db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counts = cursor.fetchone()
    return dict(zip(querysets, counts, strict=True))
