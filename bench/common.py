"""What the benchmark suites share: a database of their own, reference rows, data made in SQL,
and the table of ratios each suite prints.

A suite runs against ``<DATABASE_URL's database>_bench``, created and migrated on first use and
kept between runs (its tables are emptied of the suite's rows, never of anything else: nothing
else uses that database). Big tables are filled with ``generate_series``, never through the ORM.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections


@contextmanager
def bench_database() -> Iterator[str]:
    """Point the default connection at the benchmark database (migrated); yield its name."""
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    # As in production: no query log kept on the connection (DEBUG) slowing every statement.
    settings.DEBUG = False
    original = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{original}_bench"
    name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=True
    )
    try:
        yield name
    finally:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = original


def close_pool() -> None:
    """Close every connection and the pool's sockets (before forking client processes)."""
    connections.close_all()
    close = getattr(connection, "close_pool", None)
    if close is not None:
        close()


def conninfo() -> str:
    """The benchmark database's connection string, for raw psycopg."""
    db = settings.DATABASES["default"]
    parts = {
        "dbname": db["NAME"],
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
    }
    if db.get("PASSWORD"):
        parts["password"] = db["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())


def execute(sql: str, params: Any = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def scalar(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@dataclass
class World:
    """The reference rows loans are made from: a branch, its staff, a product, a borrower."""

    branch_id: int
    manager: Any
    product_id: int
    borrower_id: int
    loan_type_id: int


def world() -> World:
    """The branch, staff, product, policy and borrower of the benchmarks (made once)."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from loans.models import Borrower, Branch, Loan, LoanProduct, PolicyVersion, User
    from loans.roles import Role
    from loans.validators import resident_id_check_character

    branch, _ = Branch.objects.get_or_create(code="BENCH", defaults={"name": "Bench branch"})
    manager, created = User.objects.get_or_create(
        username="bench-manager", defaults={"branch": branch}
    )
    if created:
        manager.groups.add(Group.objects.get_or_create(name=Role.ACCOUNT_MANAGER)[0])
    product, _ = LoanProduct.objects.get_or_create(
        code="BENCH",
        defaults={
            "name": "Bench loan",
            "min_amount": Decimal(10_000),
            "max_amount": Decimal(3_000_000),
            "min_term_months": 1,
            "max_term_months": 36,
        },
    )
    if not PolicyVersion.objects.exists():
        PolicyVersion.objects.create(
            version="bench", effective_from=timezone.now() - timedelta(days=1)
        )
    body = "11010519850615001"
    borrower, _ = Borrower.objects.get_or_create(
        id_number=body + resident_id_check_character(body),
        defaults={
            "kind": "individual",
            "name": "Bench borrower",
            "address": "No. 8 Market Street",
            "industry": "F",
            "branch": branch,
        },
    )
    manager = User.objects.get(pk=manager.pk)  # fresh, its roles read once and kept
    return World(
        branch.pk, manager, product.pk, borrower.pk, ContentType.objects.get_for_model(Loan).pk
    )


def new_borrowers(w: World, count: int) -> list[int]:
    """``count`` new individual borrowers (copies of the world's, each with an identity number
    of its own), their ids in order."""
    from loans.models import Borrower
    from loans.validators import resident_id_check_character

    model = Borrower.objects.get(pk=w.borrower_id)
    taken = set(Borrower.objects.values_list("id_number", flat=True))
    days = (date(1950, 1, 1) + timedelta(days=n) for n in range(20_000))
    bodies = (f"110105{day:%Y%m%d}{n:03d}" for day in days for n in range(1000))
    made = []
    for body in bodies:
        number = body + resident_id_check_character(body)
        if number in taken:
            continue
        made.append(
            Borrower(
                kind=model.kind,
                name=model.name,
                id_number=number,
                address=model.address,
                industry=model.industry,
                branch_id=model.branch_id,
            )
        )
        if len(made) == count:
            break
    return [borrower.pk for borrower in Borrower.objects.bulk_create(made, batch_size=5_000)]


def make_intake_loans(w: World, count: int, *, tag: str) -> list[int]:
    """``count`` loans in intake with the interview and credit authorisation that let them start
    the site visit, and their running intake timer; made in SQL, each of a borrower of its own (a
    borrower holding every loan the kept database ever made would make each step's facts of the
    borrower's credit sum all of them). Returns their ids."""
    execute(
        """
        INSERT INTO loans_loan (state, reference, branch_id, borrower_id, account_manager_id,
            product_id, amount, term_months, purpose, repayment_method, guarantee_type, industry,
            created_at, state_entered_at, outstanding_balance, days_past_due, risk_class,
            overdue_technical, classified_with_borrower)
        SELECT 'intake', %(tag)s || '-' || n, %(branch)s, (%(borrowers)s::bigint[])[n],
            %(manager)s, %(product)s,
            80000, 12, 'Restock for the season', 'equal_instalments', 'guarantee', 'F',
            now(), now(), 0, 0, 1, false, false
        FROM generate_series(1, %(count)s) AS n
        """,
        {
            "tag": tag,
            "branch": w.branch_id,
            "borrowers": new_borrowers(w, count),
            "manager": w.manager.pk,
            "product": w.product_id,
            "count": count,
        },
    )
    ids = [
        row[0]
        for row in _rows(
            "SELECT id FROM loans_loan WHERE reference LIKE %s ORDER BY id", [f"{tag}-%"]
        )
    ]
    params = {"ids": ids, "manager": w.manager.pk, "ct": w.loan_type_id}
    execute(
        """
        INSERT INTO loans_interview (loan_id, interviewer_id, held_at, location, notes,
            cancellation_reason)
        SELECT id, %(manager)s, now(), 'branch office', 'Interviewed face to face.', ''
        FROM unnest(%(ids)s::bigint[]) AS id;
        INSERT INTO loans_creditauthorisation (loan_id, recorded_by_id, signed_at,
            written_consent, purpose, cancellation_reason)
        SELECT id, %(manager)s, now(), true, 'loan_application', ''
        FROM unnest(%(ids)s::bigint[]) AS id;
        INSERT INTO workflow_timer (content_type_id, object_id, scope, kind, stage, started_at,
            remind_at, due_at, escalate_at, next_action_at)
        SELECT %(ct)s, id, 'BENCH', 'stage', 'intake', now(), now() + interval '2 days',
            now() + interval '5 days', now() + interval '6 days', now() + interval '2 days'
        FROM unnest(%(ids)s::bigint[]) AS id;
        """,
        params,
    )
    return ids


def _rows(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def timed(run: Callable[[], int]) -> tuple[int, float]:
    """Run ``run`` (which returns how many operations it did); return that and the seconds."""
    started = time.perf_counter()
    done = run()
    return done, time.perf_counter() - started


@dataclass
class Row:
    name: str
    value: float
    target: str = ""
    met: bool | None = None
    detail: str = ""


def report(rows: list[Row]) -> bool:
    """Print the suite's table; return whether every target was met."""
    width = max(len(row.name) for row in rows)
    for row in rows:
        verdict = "" if row.met is None else ("met" if row.met else "MISSED")
        print(
            f"  {row.name:<{width}}  {row.value:>10.2f}  {row.target:<10} {verdict:<7}"
            f" {row.detail}",
            flush=True,
        )
    return all(row.met is not False for row in rows)
