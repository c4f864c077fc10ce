"""Every step writes the loan's row, a timer or two and an audit event: each index of those tables
takes an entry per step (the loan's UPDATE changes its indexed state, so it is never a
heap-only update). None of them keeps an index that another covers (docs/performance.md)."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

STEP_TABLES = ("loans_loan", "workflow_auditevent", "workflow_timer")
# The one text pattern index a query needs: numbering a branch's applications reads the
# references with a prefix (loans/services/applications.py).
PATTERN_INDEXES = {("loans_loan", ("reference",))}


class Index(NamedTuple):
    name: str
    unique: bool
    partial: bool
    columns: tuple[str, ...]
    pattern: bool  # a text pattern operator class (LIKE 'prefix%')


def indexes(table: str) -> list[Index]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, x.indisunique, x.indpred IS NOT NULL,
                   array_agg(a.attname ORDER BY k.n),
                   bool_or(c.opcname LIKE '%%pattern_ops')
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            CROSS JOIN LATERAL unnest(x.indkey::int2[], x.indclass::oid[])
                WITH ORDINALITY AS k(attnum, opclass, n)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            JOIN pg_opclass c ON c.oid = k.opclass
            WHERE t.relname = %s
            GROUP BY i.relname, x.indisunique, x.indpred
            """,
            [table],
        )
        return [
            Index(name, unique, partial, tuple(cols), bool(pattern))
            for name, unique, partial, cols, pattern in cursor.fetchall()
        ]


@pytest.mark.parametrize("table", STEP_TABLES)
def test_no_index_of_a_step_table_is_covered_by_another(table):
    found = indexes(table)
    plain = [index for index in found if not index.pattern]
    covered = [
        (index.name, other.name)
        for index in plain
        for other in plain
        if other is not index
        and not index.unique
        and not index.partial
        and not other.partial
        and other.columns[: len(index.columns)] == index.columns
    ]
    assert covered == []
    assert len({index.columns for index in plain if not index.partial}) == len(
        [index for index in plain if not index.partial]
    )


@pytest.mark.parametrize("table", STEP_TABLES)
def test_a_step_table_has_a_text_pattern_index_only_where_a_query_matches_a_prefix(table):
    patterns = {(table, index.columns) for index in indexes(table) if index.pattern}

    assert patterns <= PATTERN_INDEXES


def test_the_audit_trail_is_indexed_by_its_chains_and_actors_only():
    # An event is found by its object and seq (the chain), or by who acted; never by its hash.
    found = {index.columns for index in indexes("workflow_auditevent")}

    assert found == {("id",), ("content_type_id", "object_id", "seq"), ("actor_id",)}
