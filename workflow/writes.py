"""Writes that go together, sent to the database as one statement where it allows.

Every step makes the same pairs of writes: it stops the timers of the stage it leaves and starts
those of the stage it enters, and it appends an audit event and moves its chain's seal. The parts
of a pair are independent (neither reads what the other writes), so on PostgreSQL they go as one
statement: the first parts as data-modifying ``WITH`` queries and the last as the statement itself.
PostgreSQL runs every part exactly once and to completion, all of them on the same snapshot, inside
the step's transaction; the row lock the step holds orders them against other steps. Elsewhere
(SQLite) the parts run one after the other. Either way the rows written are the same.

The parts are compiled by Django from querysets and unsaved instances, so they are the statements
the ORM would send itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery, UpdateQuery

Statement = tuple[str, tuple[Any, ...]]


def update(queryset: models.QuerySet[Any], **values: Any) -> Statement:
    """The UPDATE that ``queryset.update(**values)`` would send."""
    query: UpdateQuery = queryset.query.chain(UpdateQuery)  # type: ignore[assignment]
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    return sql, tuple(params)


def insert(
    objs: Sequence[models.Model],
    *,
    using: str = "default",
    returning: bool = False,
    update_conflicts: Sequence[str] = (),
    unique_fields: Sequence[str] = (),
) -> Statement:
    """The INSERT of ``objs`` (of one model) that ``bulk_create`` would send, as one statement:
    with ``RETURNING`` their keys when ``returning``, and ``ON CONFLICT (unique_fields) DO UPDATE``
    the ``update_conflicts`` fields when given."""
    model = type(objs[0])
    meta = model._meta
    keyed = objs[0].pk is not None
    fields = [
        f
        for f in meta.concrete_fields
        if not getattr(f, "generated", False) and (keyed or not f.primary_key)
    ]
    query = InsertQuery(
        model,
        on_conflict=OnConflict.UPDATE if update_conflicts else None,
        update_fields=[meta.get_field(name) for name in update_conflicts],
        unique_fields=[meta.get_field(name) for name in unique_fields],
    )
    query.insert_values(fields, list(objs))
    compiler = query.get_compiler(using)
    if returning:
        compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def together(*statements: Statement, using: str = "default") -> list[tuple[Any, ...]]:
    """Run ``statements`` as one where the database allows it (the last one's rows are returned:
    those of its ``RETURNING``), else one after the other."""
    connection = connections[using]
    if connection.vendor == "postgresql" and len(statements) > 1:
        *first, last = statements
        parts = ", ".join(f"write_{index} AS ({sql})" for index, (sql, _) in enumerate(first))
        params = tuple(value for _, part in first for value in part) + last[1]
        statements = ((f"WITH {parts} {last[0]}", params),)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            rows = list(cursor.fetchall()) if cursor.description else []
    return rows


def saved(obj: models.Model, key: Any, *, using: str = "default") -> None:
    """Mark ``obj`` as the row its INSERT made, with the key the database gave it."""
    obj.pk = key
    obj._state.adding = False
    obj._state.db = using
