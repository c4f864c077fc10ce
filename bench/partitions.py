"""Audit events and deviations at 10 million rows: do they need partitioning by month?

In a database of its own (``loanflow_partitions_bench`` on the server of ``DATABASE_URL``, dropped
and migrated again at each run), the suite fills ``workflow_auditevent`` and ``workflow_deviation``
with ``generate_series`` at a province's pace (5,000 rows a day on each table, 20 branches, chains
of 20 events per loan), then times what the product does with those tables at a small size and
again at a large one (``ci``: 10,000 then 100,000 rows; ``full``: 100,000 then 10,000,000):

- append one event to a loan's chain (``workflow.audit.append_event``, committed);
- record one deviation;
- read one loan's chain (``events_of``) and verify it (``verify_chain``);
- the deviation log's first page and a filtered page, as a compliance officer gets them;
- the daily export: one day of the branch's deviations as CSV, streamed.

A day holds as many rows at both sizes, so each ratio shows what the table's size costs, not the
amount of data asked for. An operation is flat when its time at the large size is within
``FLAT`` times its time at the small one; partitioning by month is only worth its cost for a
query that is not flat and that a partition key on ``created_at`` would prune
(docs/performance.md, "Audit trail and deviations at 10 million rows").
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

DATABASE = "loanflow_partitions_bench"
SIZES = {"ci": (10_000, 100_000), "full": (100_000, 10_000_000)}
PER_DAY = 5_000  # rows a day on each table: a province of 20 branches (docs/scaling.md)
BRANCHES = 20
EVENTS_PER_LOAN = 20
CHUNK = 1_000_000  # rows per INSERT statement
REPEATS = 15
FLAT = 1.5  # large ÷ small at or under this: the table's size does not matter
ORIGIN = datetime(2020, 1, 1, tzinfo=UTC)
KINDS = (
    "wrong_state",
    "out_of_scope",
    "wrong_role",
    "wrong_person",
    "checks_failed",
    "policy_exception",
    "exception_refused",
    "sla_overdue",
    "inspection_overdue",
)
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float  # median
    queries: int


def run(scale: str) -> bool:
    sizes = SIZES[scale]
    fixtures = {}
    reuse = os.environ.get("BENCH_PARTITIONS_REUSE") == "1"
    with _bench_database(reuse=reuse):
        for rows in sizes:
            if reuse:  # the data of the last run at this scale: measure again, generate nothing
                _use_schema(rows)
                fixtures[rows] = _existing()
                continue
            _use_schema(rows, create=True)
            fixtures[rows] = _prepare()
            _fill(0, rows, fixtures[rows])
        measures = _measure(fixtures)
        table_sizes = _table_sizes(sizes[-1])
    return _report(sizes, measures, table_sizes)


# --- The database --------------------------------------------------------------------------


@contextmanager
def _bench_database(*, reuse: bool) -> Iterator[None]:
    """Point the default connection at a fresh ``DATABASE`` (or the last run's, ``reuse``) for
    the suite, then back."""
    settings_dict = connection.settings_dict
    if connection.vendor != "postgresql":
        raise SystemExit("bench partitions needs PostgreSQL: set DATABASE_URL=postgres://...")
    original = {key: settings_dict[key] for key in ("NAME", "OPTIONS", "CONN_MAX_AGE")}
    settings_dict["OPTIONS"] = dict(settings_dict["OPTIONS"])
    _close_default()
    server = psycopg.connect(
        **_libpq_params(settings_dict, "postgres"), autocommit=True, connect_timeout=5
    )
    with server:
        if not reuse:
            server.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{DATABASE}"')
    settings_dict["NAME"] = DATABASE
    settings_dict["OPTIONS"].pop("pool", None)  # one connection, kept: no pool in the figures
    settings_dict["CONN_MAX_AGE"] = None  # kept across the test client's requests
    try:
        yield
    finally:
        _close_default()
        settings_dict.update(original)


def _use_schema(rows: int, *, create: bool = False) -> None:
    """Both sizes live in one database, a schema each: switching is one ``SET search_path``, so
    the two are measured in turns on one warm connection (the machine's noise hits both alike)."""
    schema = f"rows_{rows}"
    with connection.cursor() as cursor:
        if create:
            cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path TO {schema}")
    if create:
        call_command("migrate", verbosity=0)


def _close_default() -> None:
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()  # type: ignore[attr-defined]  # not in django-stubs


def _libpq_params(settings_dict: dict[str, Any], dbname: str) -> dict[str, Any]:
    params = {
        "dbname": dbname,
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
    }
    return {key: value for key, value in params.items() if value}


@dataclass(frozen=True)
class Fixture:
    content_type: int
    actor: int
    branch_code: str
    officer: Any  # the compliance officer who reads the log
    chained: tuple[int, ...]  # loans whose chains were written by the product: verifiable


def _prepare() -> Fixture:
    from django.contrib.auth.models import Group

    from loans.models import Branch, Loan, User
    from loans.roles import Role

    branches = [
        Branch.objects.create(code=f"P{n:02d}", name=f"Sub-branch {n}") for n in range(BRANCHES)
    ]
    actor = User.objects.create(username="manager", branch=branches[0])
    officer = User.objects.create(username="compliance", branch=branches[0])
    officer.groups.add(Group.objects.get_or_create(name=Role.COMPLIANCE_OFFICER)[0])
    content_type = ContentType.objects.get_for_model(Loan)
    # Loans far above the generated ones get real chains, written by the product.
    chained = tuple(range(50_000_001, 50_000_011))
    for object_id in chained:
        for _ in range(EVENTS_PER_LOAN):
            _append(object_id, actor.pk)
    return Fixture(content_type.pk, actor.pk, branches[0].code, officer, chained)


def _existing() -> Fixture:
    from loans.models import Branch, Loan, User

    actor = User.objects.get(username="manager")
    officer = User.objects.get(username="compliance")
    content_type = ContentType.objects.get_for_model(Loan)
    chained = tuple(range(50_000_001, 50_000_011))
    code = Branch.objects.get(staff=officer).code
    return Fixture(content_type.pk, actor.pk, code, officer, chained)


def _append(object_id: int, actor_id: int) -> None:
    from loans.models import Loan
    from workflow.audit import append_event

    loan = Loan(pk=object_id)
    with transaction.atomic():
        append_event(
            loan,
            fields={
                "kind": "recorded",
                "action": "risk_classified",
                "source_state": "review",
                "target_state": "review",
                "actor_id": actor_id,
                "actor_role": "reviewer",
                "payload": {"risk_class": "B"},
                "channel": "web",
                "policy_version": "2026-01",
                "scope": "P00",
            },
            snapshot=_snapshot(object_id),
            created_at=datetime.now(UTC),
        )


def _snapshot(object_id: int) -> dict[str, Any]:
    return {
        "state": "review",
        "amount": "300000.00",
        "term_months": 24,
        "risk_class": "B",
        "borrower": f"Borrower {object_id}",
        "industry": "F",
        "guarantee_type": "guarantor",
        "rate": "0.0435",
        "account_manager": 1,
    }


_EVENTS_SQL = """
INSERT INTO workflow_auditevent (content_type_id, object_id, seq, kind, action, source_state,
    target_state, actor_id, actor_role, payload, snapshot, changes, channel, policy_version, scope,
    created_at, prev_hash, hash)
SELECT %(ct)s, (i - 1) / {per_loan} + 1, (i - 1) %% {per_loan} + 1, 'transitioned',
    'submit_for_review', 'intake', 'review', %(actor)s, 'account_manager', '{{}}'::jsonb,
    jsonb_build_object('state', 'review', 'amount', (i %% 500000 + 10000)::text || '.00',
        'term_months', 24, 'risk_class', 'B', 'borrower', 'Borrower ' || ((i - 1) / {per_loan}),
        'industry', 'F', 'guarantee_type', 'guarantor', 'rate', '0.0435', 'account_manager', 1),
    jsonb_build_object('state', jsonb_build_array('intake', 'review')), 'web', '2026-01',
    'P' || lpad((((i - 1) / {per_loan}) %% {branches})::text, 2, '0'),
    %(origin)s + (i - 1) * %(step)s,
    CASE WHEN (i - 1) %% {per_loan} = 0 THEN repeat('0', 64)
         ELSE md5((i - 1)::text) || md5('h' || (i - 1)) END,
    md5(i::text) || md5('h' || i)
FROM generate_series(%(lo)s + 1, %(hi)s) AS i
"""

_DEVIATIONS_SQL = """
INSERT INTO workflow_deviation (content_type_id, object_id, scope, actor_id, actor_roles,
    transition, from_state, kind, severity, failed_checks, payload, channel, policy_version,
    created_at{chain_columns})
SELECT %(ct)s, i %% 500000 + 1, 'P' || lpad((i %% {branches})::text, 2, '0'), %(actor)s,
    '["account_manager"]'::jsonb, 'submit_for_review', 'intake',
    (%(kinds)s::text[])[i %% {kinds} + 1], (%(severities)s::text[])[(i / {kinds}) %% 3 + 1],
    jsonb_build_array(jsonb_build_object('code', 'collateral_valued', 'passed', false,
        'severity', 'hard', 'kind', 'rule', 'clause', '4.2', 'waived_by', null,
        'reason', jsonb_build_object('en', 'The collateral has no valuation on file.',
                                     'zh-hans', '抵押物没有评估记录。'))),
    '{{}}'::jsonb, 'web', '2026-01', %(origin)s + (i - 1) * %(step)s{chain_values}
FROM generate_series(%(lo)s + 1, %(hi)s) AS i
"""
# Where deviations are chained per object like audit events (seq, prev_hash, hash).
_DEVIATION_CHAIN_COLUMNS = ", seq, prev_hash, hash"
_DEVIATION_CHAIN_VALUES = """,
    i / 500000 + 1, md5('d' || (i - 500000)) || md5('e' || (i - 500000)),
    md5('d' || i) || md5('e' || i)"""


def _deviations_chained() -> bool:
    from workflow.models import Deviation

    return any(field.name == "hash" for field in Deviation._meta.concrete_fields)


def _fill(lo: int, hi: int, fixture: Fixture) -> None:
    """Rows ``lo + 1`` to ``hi`` of both tables, ``CHUNK`` at a time, then VACUUM ANALYZE."""
    started = time.perf_counter()
    params: dict[str, Any] = {
        "ct": fixture.content_type,
        "actor": fixture.actor,
        "origin": ORIGIN,
        "step": timedelta(days=1) / PER_DAY,
        "kinds": list(KINDS),
        "severities": list(SEVERITIES),
    }
    events = _EVENTS_SQL.format(per_loan=EVENTS_PER_LOAN, branches=BRANCHES)
    chained = _deviations_chained()
    deviations = _DEVIATIONS_SQL.format(
        branches=BRANCHES,
        kinds=len(KINDS),
        chain_columns=_DEVIATION_CHAIN_COLUMNS if chained else "",
        chain_values=_DEVIATION_CHAIN_VALUES if chained else "",
    )
    with _bulk_load(TABLES):
        for start in range(lo, hi, CHUNK):
            end = min(hi, start + CHUNK)
            with connection.cursor() as cursor:
                cursor.execute(events, {**params, "lo": start, "hi": end})
                cursor.execute(deviations, {**params, "lo": start, "hi": end})
            print(
                f"   {end:>12,} rows in each table ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")
    print(f"   indexed and analysed ({time.perf_counter() - started:.0f} s)", flush=True)


TABLES = ("workflow_auditevent", "workflow_deviation")


@contextmanager
def _bulk_load(tables: tuple[str, ...]) -> Iterator[None]:
    """Load as a restore does: without the tables' constraints (but the primary key), indexes and
    triggers, then put back exactly what the migrations made (an index built at once is many
    times faster than ten million inserts into it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) AND contype <> 'p'",
            [list(tables)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        cursor.execute("RESET maintenance_work_mem")


# --- What the product does ---------------------------------------------------------------------


def _operations(fixture: Fixture, rows: int) -> list[tuple[str, Callable[[int], None]]]:
    from loans.models import Branch, Loan
    from workflow import compliance
    from workflow.audit import events_of, verify_chain
    from workflow.models import Deviation

    client = Client(SERVER_NAME="localhost")
    client.force_login(fixture.officer)
    chained = fixture.chained
    # New chains and deviations far from the generated loans, and from a previous run's.
    offset = secrets.randbelow(10**6) * 1_000
    appended = iter(range(60_000_000_000 + offset, 60_000_000_000 + offset + 1_000))
    last_day = ORIGIN + timedelta(days=rows // PER_DAY - 1)
    day = {
        "created_after": last_day.isoformat(),
        "created_before": (last_day + timedelta(days=1)).isoformat(),
        "branch": fixture.branch_code,
    }

    def chain_of(n: int) -> list[Any]:
        return list(events_of(Loan(pk=chained[n % len(chained)])))

    def read(n: int) -> None:
        chain_of(n)

    def verify(n: int) -> None:
        report = verify_chain(chain_of(n))
        assert report.intact, report  # noqa: S101
        assert report.events >= EVENTS_PER_LOAN, report  # noqa: S101

    def page(query: dict[str, str]) -> Callable[[int], None]:
        def get(_n: int) -> None:
            response = client.get("/loans/deviations/", query)
            assert response.status_code == 200, response.status_code  # noqa: S101

        return get

    def page_query(*, scopes: Any, **filters: str) -> Callable[[int], None]:
        """The log's page of 50 as its view asks for it, without the paginator's count."""
        deviations = compliance.with_status(
            Deviation.objects.filter(scope__in=scopes, **filters)
        ).select_related("actor")

        def get(_n: int) -> None:
            list(deviations.order_by("-created_at", "-id")[:50])

        return get

    # As the view filters today: the branch codes by a subquery on the branches' ids, which the
    # planner cannot see through (it expects a few rows of the branch, gets hundreds of thousands).
    branch = Branch.objects.get(code=fixture.branch_code)
    branch_codes = Branch.objects.filter(pk__in=[branch.pk]).values("code")

    def export(_n: int) -> None:
        response = client.get("/loans/deviations/export.csv", day)
        assert response.status_code == 200, response.status_code  # noqa: S101
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)  # type: ignore[attr-defined]
        assert lines > PER_DAY // BRANCHES, lines  # noqa: S101 - the whole day came out

    def record_deviation(n: int) -> None:
        chain = {"seq": 1, "prev_hash": "0" * 64, "hash": f"{offset:032x}{n:032x}"}
        with transaction.atomic():
            Deviation.objects.create(
                **(chain if _deviations_chained() else {}),
                content_type_id=fixture.content_type,
                object_id=70_000_000_000 + offset + n,
                scope=fixture.branch_code,
                actor_id=fixture.actor,
                transition="approve",
                from_state="approval",
                kind="checks_failed",
                severity="high",
                failed_checks=[{"code": "collateral_valued", "passed": False}],
                channel="api",
                policy_version="2026-01",
                created_at=datetime.now(UTC),
            )

    return [
        ("append one event to a loan's chain", lambda _n: _append(next(appended), fixture.actor)),
        ("record one deviation", record_deviation),
        ("read one loan's chain", read),
        ("verify one loan's chain", verify),
        ("deviation log, first page", page({})),
        ("deviation log, filtered page", page({"kind": "checks_failed", "severity": "high"})),
        ("its page query alone (codes by subquery)", page_query(scopes=branch_codes)),
        ("its page query alone (codes as values)", page_query(scopes=[fixture.branch_code])),
        (
            "its filtered page query (codes as values)",
            page_query(scopes=[fixture.branch_code], kind="checks_failed", severity="high"),
        ),
        ("daily export of a branch's deviations", export),
    ]


def _measure(fixtures: dict[int, Fixture]) -> dict[int, list[Measure]]:
    """Each operation at each size in turns, ``REPEATS`` times; the median of each."""
    operations = {}
    for rows, fixture in fixtures.items():
        _use_schema(rows)
        operations[rows] = _operations(fixture, rows)
    measures: dict[int, list[Measure]] = {rows: [] for rows in fixtures}
    for index in range(len(operations[next(iter(fixtures))])):
        times: dict[int, list[float]] = {rows: [] for rows in fixtures}
        queries: dict[int, int] = {}
        for n in range(REPEATS + 1):
            for rows in fixtures:
                _use_schema(rows)
                name, operation = operations[rows][index]
                if n == 0:  # warm the caches; count the statements
                    queries[rows] = _count_queries(operation)
                    continue
                started = time.perf_counter()
                operation(n)
                times[rows].append(time.perf_counter() - started)
        for rows in fixtures:
            name = operations[rows][index][0]
            measures[rows].append(Measure(name, statistics.median(times[rows]), queries[rows]))
    return measures


def _count_queries(operation: Callable[[int], None]) -> int:
    count = 0

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        operation(0)
    return count


def _table_sizes(rows: int) -> dict[str, int]:
    _use_schema(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND relname = ANY(%s)",
            [f"rows_{rows}", list(TABLES)],
        )
        return dict(cursor.fetchall())


def _report(
    sizes: tuple[int, int], measures: dict[int, list[Measure]], table_sizes: dict[str, int]
) -> bool:
    small, large = sizes
    print(f"\n   {'operation':<40}{small:>12,} rows{large:>14,} rows{'ratio':>9}  statements")
    flat = True
    for before, after in zip(measures[small], measures[large], strict=True):
        ratio = after.seconds / before.seconds
        flat = flat and ratio <= FLAT
        mark = "" if ratio <= FLAT else f"  > {FLAT}×"
        print(
            f"   {before.name:<40}{before.seconds * 1000:>12.2f} ms{after.seconds * 1000:>12.2f} ms"
            f"{ratio:>8.2f}×  {before.queries} / {after.queries}{mark}"
        )
    for table, size in sorted(table_sizes.items()):
        print(f"   {table}: {size / 2**20:,.0f} MB with its indexes at {large:,} rows")
    return flat
