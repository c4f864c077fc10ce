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
compiled once per shape and connection (:func:`workflow.prepared.compiled_for`); each run computes
the values as Django's compiler does (every field's ``pre_save`` and ``get_db_prep_save``). A
statement whose SQL repeats (a template, :class:`Template`) is compiled once with markers in place
of what changes. On PostgreSQL the statements are prepared on the server
(:func:`workflow.prepared.server_cursor`), so a step's writes are planned once per connection too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLInsertCompiler

from workflow.prepared import compiled_for, server_cursor

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
    kept = compiled_for(using)
    compiled = kept.get((_INSERT, shape))
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
    if (_INSERT, shape) not in kept:
        kept[_INSERT, shape] = _CompiledInsert.of(sql, tuple(params), compiler, fields, objs)
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


_INSERT = "workflow.writes.insert"


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


class Saving:
    """An UPDATE of an object's changed fields, built and not yet sent (:func:`saving`): its
    statement returns the object's key when the row was updated. Send it (alone or with other
    writes, :func:`at_once`), then call :meth:`done` with the rows it returned."""

    def __init__(
        self, obj: models.Model, statement: Statement, update_fields: frozenset[str], using: str
    ) -> None:
        self.obj = obj
        self.statement = statement
        self.update_fields = update_fields
        self.using = using

    def done(self, rows: Sequence[tuple[Any, ...]]) -> bool:
        """Whether a row was updated; ``post_save`` is sent only then."""
        if not rows:
            return False
        obj = self.obj
        obj._state.db = self.using
        obj._state.adding = False
        signals.post_save.send(
            sender=type(obj),
            instance=obj,
            created=False,
            update_fields=self.update_fields,
            raw=False,
            using=self.using,
        )
        return True


def saving(obj: models.Model, names: Sequence[str], *, where: dict[str, Any]) -> Saving | None:
    """``obj.save(update_fields=names)`` as Django runs it — ``pre_save``, each field's
    ``pre_save``, one UPDATE on the object's key, ``post_save`` (:meth:`Saving.done`) — with the
    UPDATE's SQL built once per model and fields, its filter narrowed by ``where`` (attname →
    value, e.g. the state it was read in), to send on the server-binding cursor. None, having done
    nothing, for what it does not cover (a model with parents, a field that is a relation or has a
    placeholder of its own, an expression as a value)."""
    model = type(obj)
    meta = model._meta
    by_name = _updatable(model)
    if by_name is None or obj._state.adding or meta.select_on_save:
        return None
    fields = [by_name.get(name) for name in names]
    if None in fields or any(name not in by_name for name in where):
        return None
    chosen = {field.attname for field in fields if field is not None}
    updated = [field for field in by_name.values() if field.attname in chosen]
    if any(hasattr(getattr(obj, field.attname), "resolve_expression") for field in updated):
        return None
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    update_fields = frozenset(names)
    signals.pre_save.send(
        sender=model, instance=obj, raw=False, using=using, update_fields=update_fields
    )
    values = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in updated]
    if any(hasattr(value, "as_sql") for value in values):
        raise ValueError("an expression reached the UPDATE of the changed fields")
    keys = [meta.pk, *(by_name[name] for name in where)]
    wanted = [obj.pk, *where.values()]
    sql = _update_sql(model, tuple(f.attname for f in updated), tuple(where), using)
    params = (
        *values,
        *(_lookup_value(f, v, connection) for f, v in zip(keys, wanted, strict=True)),
    )
    return Saving(obj, (sql, params), update_fields, using)


def _lookup_value(field: Any, value: Any, connection: Any) -> Any:
    """``value`` as an exact lookup on ``field`` hands it to the driver."""
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


@lru_cache(maxsize=64)
def _updatable(model: type[models.Model]) -> dict[str, Any] | None:
    """The fields :func:`saving` may update, by name and attname (in the model's order); None
    when it does not cover the model."""
    meta = model._meta
    if meta.parents or meta.proxy or meta.auto_created:
        return None
    fields: dict[str, Any] = {}
    for field in meta.local_concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        if field.is_relation or hasattr(field, "get_placeholder"):
            continue
        fields[field.attname] = field
    return fields


@lru_cache(maxsize=256)
def _update_sql(
    model: type[models.Model], columns: tuple[str, ...], where: tuple[str, ...], using: str
) -> str:
    fields = _updatable(model) or {}
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(fields[name].column)} = %s" for name in columns)
    keys = [model._meta.pk.column, *(fields[name].column for name in where)]
    filters = " AND ".join(f"{table}.{quote(column)} = %s" for column in keys)
    key = f"{table}.{quote(model._meta.pk.column)}"
    # The key of the row updated, if any: whether it was is read from the rows, as one of the
    # parts of a statement made of several (at_once), where no row count tells it.
    return f"UPDATE {table} SET {sets} WHERE ({filters}) RETURNING {key}"  # noqa: S608 - quoted


def together(*statements: Statement, using: str = "default") -> list[tuple[Any, ...]]:
    """Run ``statements`` as one where the database allows it (the last one's rows are returned:
    those of its ``RETURNING``), else one after the other (:func:`at_once`)."""
    return at_once(*statements, using=using)[-1]


def at_once(*statements: Statement, using: str = "default") -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` as one where the database allows it, else one after the other; the rows
    each one returned (its ``RETURNING``: one column), in the order of ``statements``, none for a
    statement without ``RETURNING``.

    On PostgreSQL every statement is a data-modifying ``WITH`` query, and the statement itself
    reads back the rows of those that return some, each marked with its place. The parts must be
    independent: they run on one snapshot, none seeing what another writes."""
    connection = connections[using]
    returning = [_RETURNING in sql for sql, _ in statements]
    found: list[list[tuple[Any, ...]]] = [[] for _ in statements]
    if connection.vendor != "postgresql" or len(statements) == 1:
        with transaction.mark_for_rollback_on_error(using), server_cursor(using) as cursor:
            for index, (sql, params) in enumerate(statements):
                cursor.execute(sql, params)
                if returning[index]:
                    found[index] = list(cursor.fetchall())
        return found
    reads = " UNION ALL ".join(
        f"SELECT {index}, returned.* FROM write_{index} AS returned"  # noqa: S608 - no values
        for index, returns in enumerate(returning)
        if returns
    )
    params = tuple(value for _, part in statements for value in part)
    if reads:
        sql = f"WITH {_parts(statements)} {reads}"
    else:  # nothing to read back: the last part is the statement itself
        *first, (last, _) = statements
        sql = f"WITH {_parts(first)} {last}"
    with transaction.mark_for_rollback_on_error(using), server_cursor(using) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    for index, *values in rows:
        found[index].append(tuple(values))
    return found


_RETURNING = " RETURNING "


def _parts(statements: Sequence[Statement]) -> str:
    """``statements`` as the data-modifying ``WITH`` queries ``write_0``, ``write_1``, ..."""
    return ", ".join(f"write_{index} AS ({sql})" for index, (sql, _) in enumerate(statements))


def saved(obj: models.Model, key: Any, *, using: str = "default") -> None:
    """Mark ``obj`` as the row its INSERT made, with the key the database gave it."""
    obj.pk = key
    obj._state.adding = False
    obj._state.db = using
