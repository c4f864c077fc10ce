"""Writes that go together, sent to the database as one statement where it allows.

Every step makes the same pairs of writes: it stops the timers of the stage it leaves and starts
those of the stage it enters, and it appends an audit event and moves its chain's seal. The parts
of a pair are independent (neither reads what the other writes), so on PostgreSQL they go as one
statement: the first parts as data-modifying ``WITH`` queries and the last as the statement itself.
PostgreSQL runs every part exactly once and to completion, all of them on the same snapshot, inside
the step's transaction; the row lock the step holds orders them against other steps. Elsewhere
(SQLite) the parts run one after the other. Either way the rows written are the same.

The parts are compiled by Django from querysets and unsaved instances, so they are the statements
the ORM would send itself. An INSERT's SQL depends only on its model, fields and options, so it is
compiled once per shape and process; each run computes the values as Django's compiler does (every
field's ``pre_save`` and ``get_db_prep_save``). A statement whose SQL repeats (a template,
:class:`Template`) is compiled once with markers in place of what changes. On PostgreSQL the
statements are prepared on the server (:func:`workflow.prepared.server_cursor`), so a step's writes
are planned once per connection too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLInsertCompiler

from workflow.prepared import server_cursor

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
    keyed = objs[0].pk is not None
    shape = (model, keyed, len(objs), returning, tuple(update_conflicts), tuple(unique_fields))
    compiled = _inserts.get((shape, using))
    if compiled is not None:
        values = compiled.values(objs)
        if values is not None:
            return compiled.sql, values
    meta = model._meta
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
    if (shape, using) not in _inserts:
        _inserts[(shape, using)] = _CompiledInsert.of(sql, tuple(params), compiler, fields, objs)
    return sql, tuple(params)


class _CompiledInsert:
    """An INSERT's SQL, kept for the next rows of the same shape, and how to compute their values
    as Django's compiler does."""

    def __init__(self, sql: str, compiler: SQLInsertCompiler, fields: list[Any]) -> None:
        self.sql = sql
        self.compiler = compiler
        self.fields = fields

    @classmethod
    def of(
        cls,
        sql: str,
        params: tuple[Any, ...],
        compiler: SQLInsertCompiler,
        fields: list[Any],
        objs: Sequence[models.Model],
    ) -> _CompiledInsert | None:
        """The compiled INSERT, when its parameters are exactly the values computed field by field
        (not for rows with expressions, fields with placeholders of their own, or a backend that
        sends many rows differently); None otherwise."""
        if any(hasattr(field, "get_placeholder") for field in fields):
            return None
        compiled = cls(sql, compiler, fields)
        values = compiled.values(objs)
        if values is None or len(values) != len(params):
            return None
        if not all(_same(a, b) for a, b in zip(values, params, strict=True)):
            return None
        return compiled

    def values(self, objs: Sequence[models.Model]) -> tuple[Any, ...] | None:
        compiler = self.compiler
        values = []
        for obj in objs:
            for field in self.fields:
                value = compiler.pre_save_val(field, obj)
                if hasattr(value, "resolve_expression"):
                    return None
                values.append(compiler.prepare_value(field, value))
        return tuple(values)


def _same(a: Any, b: Any) -> bool:
    """Whether two parameters are the same value (JSON wrappers compared by what they wrap)."""
    if type(a) is not type(b):
        return False
    if hasattr(a, "obj") and hasattr(a, "dumps"):  # psycopg's Json / Jsonb
        return bool(a.obj == b.obj and a.dumps == b.dumps)
    return bool(a == b)


_inserts: dict[tuple[Any, str], _CompiledInsert | None] = {}


class Template:
    """A statement compiled once: ``build(*markers)`` makes it with a marker for each value that
    changes from one run to the next, and calling the template with those values gives the
    statement with them in the markers' places, handed to the driver as Django handed the markers
    (a moment as text on SQLite, a key as psycopg's ``Int8`` on PostgreSQL). A marker is a value
    no other parameter of the statement has; a ``ValueError`` when it is not among them."""

    def __init__(
        self, build: Callable[..., Statement], *markers: Any, using: str = "default"
    ) -> None:
        self.ops = connections[using].ops
        self.sql, params = build(*markers)
        self.params = list(params)
        # For each marker: its places, whether a moment is adapted, and the type the driver is
        # handed there (e.g. psycopg's Int8, a subclass of int).
        self.places: list[tuple[list[int], bool, type[Any]]] = []
        for marker in markers:
            adapted = isinstance(marker, datetime)
            handed = self._hand(marker, adapted)
            places = [
                i
                for i, value in enumerate(self.params)
                if isinstance(value, type(handed)) and value == handed
            ]
            if not places:
                raise ValueError(f"the marker {marker!r} is not among the parameters")
            self.places.append((places, adapted, type(self.params[places[0]])))

    def _hand(self, value: Any, adapted: bool) -> Any:
        return self.ops.adapt_datetimefield_value(value) if adapted else value

    def __call__(self, *values: Any) -> Statement:
        params = list(self.params)
        for (places, adapted, kind), value in zip(self.places, values, strict=True):
            handed = self._hand(value, adapted)
            if type(handed) is not kind:
                handed = kind(handed)
            for place in places:
                params[place] = handed
        return self.sql, tuple(params)


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
    with server_cursor(using) as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            rows = list(cursor.fetchall()) if cursor.description else []
    return rows


def saved(obj: models.Model, key: Any, *, using: str = "default") -> None:
    """Mark ``obj`` as the row its INSERT made, with the key the database gave it."""
    obj.pk = key
    obj._state.adding = False
    obj._state.db = using
