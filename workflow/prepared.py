"""Reads compiled once: the engine's locked read is the same statement for every step but for the
object's key, so its SQL is built once per connection (:func:`compiled_for`) and executed with the
key bound.

Django compiles a queryset to SQL each time it runs it. For the locked read, which brings the
object's related rows and a few dozen facts of its file in one statement, that compilation costs
more than the statement itself. :func:`prepared_get` compiles the queryset once with a marker in
place of the key, then runs the SQL with the key and builds the instance (its related rows and
annotations) exactly as the queryset would. Anything it cannot prepare runs as a plain queryset.

On PostgreSQL the statement is also prepared on the server (:func:`server_cursor`): parsed and
planned once per connection rather than on every step, its parameters sent apart from its text, so
that neither the driver nor the server reads the whole statement again. With
``DATABASE_PREPARED_STATEMENTS=0`` (psycopg's ``prepare_threshold`` off: a PgBouncer in transaction
mode older than 1.21, docs/scaling.md) the parameters are still bound on the server, but nothing
is prepared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
import psycopg.sql
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid

M = TypeVar("M", bound=models.Model)

# A key no row has and a moment no step runs at, to find their places among the SQL's parameters.
MARKER = -7_351_902_468_113
MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


# Django's placeholders: ``%s`` for a parameter, ``%%`` for a percent sign; nothing else.
_PLACEHOLDER = re.compile(r"%(.?)", re.DOTALL)


@lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """``sql`` with Django's ``%s`` placeholders numbered as the server takes them (``$1``,
    ``$2``, ...) and ``%%`` as ``%``; a ``ValueError`` for any other use of ``%``."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(f"not one of Django's placeholders: %{match.group(1)}")
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql)


class PreparingCursor(psycopg.RawCursor[Any]):
    """psycopg's cursor binding parameters on the server, given Django's ``%s`` SQL; a statement
    is prepared the first time its connection runs it (unless the connection's
    ``prepare_threshold`` turns preparing off)."""

    def execute(  # type: ignore[override]
        self, query: str, params: Any = None, *, prepare: bool | None = None, **kwargs: Any
    ) -> Any:
        return super().execute(numbered(query), params, prepare=True, **kwargs)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (``DEBUG``, ``CaptureQueriesContext``) of a prepared statement: the SQL
    with its parameters merged, as Django's own cursor logs it."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)


@contextmanager
def server_cursor(using: str) -> Iterator[CursorWrapper]:
    """A cursor of database ``using`` whose statements are prepared on the server (PostgreSQL);
    elsewhere Django's own cursor. Either takes Django's SQL and parameters, runs the execute
    wrappers, logs to Django's query log and raises Django's database errors."""
    connection: BaseDatabaseWrapper = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = PreparingCursor(connection.connection)
        # As Django's own cursors: times in the connection's time zone.
        loader: Any = raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != getattr(loader, "timezone", None):
            register_tzloader(connection.timezone, raw)
    connection.validate_thread_sharing()
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    with wrapper(raw, connection) as cursor:
        yield cursor


def server_sql(sql: str, using: str) -> bool:
    """Whether ``sql`` can run on :func:`server_cursor` (its placeholders are Django's)."""
    if connections[using].vendor != "postgresql":
        return True
    try:
        numbered(sql)
    except ValueError:
        return False
    return True


class _Prepared:
    def __init__(self, queryset: models.QuerySet[Any]) -> None:
        self.db = queryset.db
        self.compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        places = [index for index, value in enumerate(self.params) if value == MARKER]
        if len(places) != 1:
            raise ValueError("the key must appear once among the parameters")
        self.place = places[0]
        # A backend may hand the moment to its driver adapted (SQLite: as text in UTC).
        self.ops = connections[self.db].ops
        marked = {MOMENT, self.ops.adapt_datetimefield_value(MOMENT)}
        self.moments = [index for index, value in enumerate(self.params) if value in marked]
        info = self.compiler.klass_info
        self.model = info["model"]
        first, last = info["select_fields"][0], info["select_fields"][-1] + 1
        self.span = (first, last)
        self.init_list = [column[0].target.attname for column in self.compiler.select[first:last]]
        self.populators = get_related_populators(info, self.compiler.select, self.db)
        self.annotations = dict(self.compiler.annotation_col_map)
        # What turns each column into its Python value, found once (as ``results_iter`` would on
        # every run).
        columns = [column[0] for column in self.compiler.select[: self.compiler.col_count]]
        self.converters = self.compiler.get_converters(columns)
        self.on_server = server_sql(self.sql, self.db)
        if self.on_server and connections[self.db].vendor == "postgresql":
            self._inline_constants()

    def _inline_constants(self) -> None:
        """Write the parameters that are the same on every run into the SQL as literals: only
        the key and the moments stay parameters. Django binds every value a queryset holds
        (separators of joined text, the keys of JSON objects, choices compared with) as a
        parameter; the locked read had some ninety, and each one is sent, and bound by the
        server, on every step."""
        connection = connections[self.db]
        connection.ensure_connection()
        kept = {self.place, *self.moments}
        pieces = _PLACEHOLDER.split(self.sql)
        # split() alternates text and the character after each %: "s" a parameter, "%" a %.
        sql: list[str] = [pieces[0]]
        params: list[Any] = []
        place, moments = -1, []
        index = 0
        for after, text in zip(pieces[1::2], pieces[2::2], strict=True):
            if after != "s":
                sql.append("%" + after + text)
                continue
            value = self.params[index]
            literal = None if index in kept else _literal(value, connection.connection)
            if literal is None:
                if index == self.place:
                    place = len(params)
                elif index in self.moments:
                    moments.append(len(params))
                params.append(value)
                sql.append("%s" + text)
            else:
                sql.append(literal.replace("%", "%%") + text)
            index += 1
        self.sql = "".join(sql)
        self.params = params
        self.place = place
        self.moments = moments

    def get(self, key: Any, at: datetime) -> Any:
        params = list(self.params)
        params[self.place] = key
        for place in self.moments:
            params[place] = self.ops.adapt_datetimefield_value(at)
        opened = server_cursor(self.db) if self.on_server else connections[self.db].cursor()
        with opened as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        if len(fetched) != 1:
            raise self.model.DoesNotExist(f"{self.model.__name__} {key} does not exist.")
        [row] = list(self.compiler.apply_converters(fetched, self.converters))
        first, last = self.span
        obj = self.model.from_db(self.db, self.init_list, row[first:last])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj


def _literal(value: Any, raw: Any) -> str | None:
    """``value`` as an SQL literal, as psycopg quotes it (None: left a parameter)."""
    if value is None or not isinstance(value, (str, int, bool, date, Decimal)):
        return None
    try:
        return psycopg.sql.Literal(value).as_string(raw)
    except (psycopg.ProgrammingError, TypeError, ValueError):
        return None


# --- what is compiled, kept with the connection it was compiled for ----------------------------

_COMPILED = "_workflow_compiled"
_READ = "workflow.prepared.read"  # the kind of what prepared_get keeps
_generation = 0  # moved on by forget_all: what every connection has compiled is stale


def compiled_for(using: str) -> dict[Any, Any]:
    """The statements compiled for database ``using`` by this thread, kept on its Django
    connection object (``connections[using]``), so that they live and die with it.

    A compiled statement holds the connection object it was compiled with (its compiler, the
    backend's operations). Kept in a module, it kept a finished thread's connection object
    alive, and with it the database session that connection held (taken from the pool and never
    given back). A thread compiles each statement once; a process's main thread, as in a
    worker, once for its life."""
    wrapper = connections[using]
    kept: tuple[int, dict[Any, Any]] | None = wrapper.__dict__.get(_COMPILED)
    if kept is None or kept[0] != _generation:
        kept = (_generation, {})
        wrapper.__dict__[_COMPILED] = kept
    return kept[1]


def forget_all(**kwargs: Any) -> None:
    """Drop everything compiled, on every connection (``post_migrate``: the ids its parameters
    hold may have changed)."""
    global _generation  # one counter for every connection of the process
    _generation += 1


def prepared_get(
    key: Any,
    at: datetime,
    cache_key: Any,
    build: Callable[[Any, datetime], models.QuerySet[M]],
    *,
    using: str,
) -> M:
    """``build(key, at).get()`` on database ``using``, with the SQL of ``build`` compiled once
    per ``cache_key`` (and connection, :func:`compiled_for`)."""
    compiled = compiled_for(using)
    if (_READ, cache_key) not in compiled:
        try:
            compiled[_READ, cache_key] = _Prepared(build(MARKER, MOMENT))
        except ValueError:
            compiled[_READ, cache_key] = None
    prepared: _Prepared | None = compiled[_READ, cache_key]
    if prepared is None:
        return build(key, at).get()
    found: M = prepared.get(key, at)
    return found


def prepared_reads(using: str) -> dict[Any, _Prepared | None]:
    """The reads :func:`prepared_get` has compiled for ``using`` on this thread, by cache key."""
    return {key[1]: read for key, read in compiled_for(using).items() if key[0] == _READ}
