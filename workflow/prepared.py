"""Reads compiled once: the engine's locked read is the same statement for every step but for the
object's key, so its SQL is built once per process and executed with the key bound.

Django compiles a queryset to SQL each time it runs it. For the locked read, which brings the
object's related rows and a few dozen facts of its file in one statement, that compilation costs
more than the statement itself. :func:`prepared_get` compiles the queryset once with a marker in
place of the key, then runs the SQL with the key and builds the instance (its related rows and
annotations) exactly as the queryset would. Anything it cannot prepare runs as a plain queryset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

M = TypeVar("M", bound=models.Model)

# A key no row has and a moment no step runs at, to find their places among the SQL's parameters.
MARKER = -7_351_902_468_113
MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


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

    def get(self, key: Any, at: datetime) -> Any:
        params = list(self.params)
        params[self.place] = key
        for place in self.moments:
            params[place] = self.ops.adapt_datetimefield_value(at)
        with connections[self.db].cursor() as cursor:
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


_prepared: dict[Any, _Prepared | None] = {}


def forget_all(**kwargs: Any) -> None:
    """Drop every prepared read (``post_migrate``: the ids its parameters hold may have changed)."""
    _prepared.clear()


def prepared_get(
    key: Any, at: datetime, cache_key: Any, build: Callable[[Any, datetime], models.QuerySet[M]]
) -> M:
    """``build(key, at).get()``, with the SQL of ``build`` compiled once per ``cache_key``."""
    if cache_key not in _prepared:
        try:
            _prepared[cache_key] = _Prepared(build(MARKER, MOMENT))
        except ValueError:
            _prepared[cache_key] = None
    prepared = _prepared[cache_key]
    if prepared is None:
        return build(key, at).get()
    found: M = prepared.get(key, at)
    return found
