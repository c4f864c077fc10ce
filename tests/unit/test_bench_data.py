"""The benchmarks fill tables in SQL, past the models' Python defaults: each INSERT must name every
column the database requires, or the harness breaks the day a model gains a field."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db.models import NOT_PROVIDED

BENCH = Path(__file__).resolve().parents[2] / "bench"
INSERT = re.compile(r"INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)


def _inserts() -> list[tuple[str, str, list[str]]]:
    """(file, table, columns) of every INSERT with a fixed column list in the bench's SQL."""
    found = []
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            for table, columns in INSERT.findall(node.value):
                if "{" in columns:  # a column list completed at run time
                    continue
                names = [c.strip().strip('"') for c in columns.split(",") if c.strip()]
                found.append((path.name, table, names))
    return found


def _required_columns(table: str) -> set[str] | None:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return {
                field.column
                for field in model._meta.concrete_fields
                if not field.null and not field.primary_key and field.db_default is NOT_PROVIDED
            }
    return None  # a table of the benchmark's own (a peer engine's, a replica probe)


INSERTS = _inserts()


def test_the_bench_has_inserts_to_check():
    assert {table for _, table, _ in INSERTS} >= {"loans_loan", "loans_creditauthorisation"}


@pytest.mark.parametrize(
    ("source", "table", "columns"), INSERTS, ids=[f"{s}:{t}" for s, t, _ in INSERTS]
)
def test_every_required_column_is_given(source, table, columns):
    required = _required_columns(table)
    if required is None:
        return
    missing = required - set(columns)
    assert not missing, f"{source} inserts into {table} without {sorted(missing)}"
