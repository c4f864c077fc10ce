"""Bulk data for the list and export benchmarks, in a database of their own.

Rows are made by PostgreSQL itself (``INSERT … SELECT … FROM generate_series``): a million loans
or deviations take seconds, not the hours the ORM would. Every third loan and every second
deviation shares its creation moment with a neighbour, so the lists page through ties.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from loans.choices import BorrowerKind, GuaranteeType, Industry, RepaymentMethod
from loans.models import Branch, Loan, LoanProduct, User
from loans.roles import Role
from loans.states import LoanState

BENCH_DATABASE = os.environ.get("BENCH_LISTS_DATABASE", "loanflow_lists_bench")
START = datetime(2024, 1, 1, tzinfo=UTC)
BORROWERS = 1000


def use_bench_database() -> str:
    """Point Django at the benchmark's own database (created and migrated when missing): the
    benchmark truncates tables, so it never runs on the database in ``DATABASE_URL``. A database
    left by an earlier checkout whose migrations are no longer on disk is made again."""
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "config.postgresql":
        raise SystemExit("the list benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    if default["NAME"] != BENCH_DATABASE:
        server = {k: default[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if default.get(k)}
        dsn = psycopg.conninfo.make_conninfo(
            host=server.get("HOST", ""),
            port=str(server.get("PORT", "")),
            user=server.get("USER", ""),
            password=server.get("PASSWORD", ""),
            dbname="postgres",
        )
        with psycopg.connect(dsn, autocommit=True) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
            ).fetchone()
            if not found:
                admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        _switch_to(BENCH_DATABASE)
        if _migrations_unknown_here():
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{BENCH_DATABASE}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
            _switch_to(BENCH_DATABASE)
    call_command("migrate", verbosity=0)
    return BENCH_DATABASE


def _switch_to(name: str) -> None:
    connections["default"].close()
    if hasattr(connections["default"], "close_pool"):
        connections["default"].close_pool()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def _migrations_unknown_here() -> bool:
    """Whether the database records a migration this checkout does not have (one renamed)."""
    loader = MigrationLoader(connections["default"], ignore_no_migrations=True)
    return bool(set(loader.applied_migrations) - set(loader.disk_migrations))


@dataclass(frozen=True)
class Cast:
    branch: Branch
    manager: User
    approver: User
    compliance: User
    product: LoanProduct


def reset() -> None:
    """Empty loans and deviations (of the benchmark's own database)."""
    with connection.cursor() as cursor:
        # The record refuses TRUNCATE (docs/security.md); the benchmark's superuser sets it aside.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE workflow_deviation, loans_loan, loans_borrower CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")


def cast(code: str) -> Cast:
    """A branch and the staff who work its lists: its loans and deviations grow apart from
    another branch's, so two sizes can be measured in turns, under the same load."""
    branch, _ = Branch.objects.get_or_create(code=code, defaults={"name": f"Bench {code}"})
    product, _ = LoanProduct.objects.get_or_create(
        code="BENCH",
        defaults={
            "name": "Bench micro loan",
            "min_amount": 1000,
            "max_amount": 1_000_000,
            "min_term_months": 1,
            "max_term_months": 60,
        },
    )
    name = code.lower()
    return Cast(
        branch=branch,
        manager=_staff(f"{name}-manager", Role.ACCOUNT_MANAGER, branch),
        approver=_staff(f"{name}-approver", Role.APPROVER, branch, authority_level=3),
        compliance=_staff(f"{name}-compliance", Role.COMPLIANCE_OFFICER, branch),
        product=product,
    )


def _staff(username: str, role: Role, branch: Branch, **fields: object) -> User:
    user, _ = User.objects.update_or_create(
        username=username, defaults={"branch": branch, **fields}
    )
    user.groups.set([Group.objects.get(name=role)])
    return user


def count(table: str, where: str, value: int | str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where} = %s", [value])
        return int(cursor.fetchone()[0])


def grow_loans(cast: Cast, total: int) -> float:
    """Add loans until the branch has ``total``, spread over every stage, all the manager's."""
    started = time.perf_counter()
    have = count("loans_loan", "branch_id", cast.branch.pk)
    if have == 0:
        _borrowers(cast)
    if total <= have:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO loans_loan (state, reference, amount, term_months, purpose,
                repayment_method, guarantee_type, industry, created_at, state_entered_at,
                outstanding_balance, days_past_due, risk_class, overdue_technical,
                classified_with_borrower,
                account_manager_id, borrower_id, branch_id, product_id)
            SELECT (%(states)s::text[])[1 + i %% %(n_states)s], %(code)s || '-' || i,
                10000 + (i %% 500) * 100, 12, 'Bench loan', %(repayment)s, %(guarantee)s,
                %(industry)s,
                %(start)s::timestamptz + (i / 3) * interval '1 minute',
                %(start)s::timestamptz + (i / 3) * interval '1 minute',
                0, 0, 0, false, false, %(manager)s,
                (SELECT min(id) FROM loans_borrower WHERE branch_id = %(branch)s)
                    + i %% %(borrowers)s, %(branch)s,
                %(product)s
            FROM generate_series(%(first)s, %(last)s) AS i
            """,
            {
                "states": list(LoanState.values),
                "n_states": len(LoanState.values),
                "repayment": RepaymentMethod.EQUAL_INSTALMENTS,
                "guarantee": GuaranteeType.GUARANTEE,
                "industry": Industry.F,
                "start": START,
                "manager": cast.manager.pk,
                "borrowers": BORROWERS,
                "branch": cast.branch.pk,
                "product": cast.product.pk,
                "first": have + 1,
                "last": total,
                "code": cast.branch.code,
            },
        )
        cursor.execute("ANALYZE loans_loan")
    return time.perf_counter() - started


def _borrowers(cast: Cast) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO loans_borrower (kind, name, id_number, phone, address, industry, "group",
                created_at, branch_id)
            SELECT %(kind)s, 'Borrower ' || lpad(i::text, 5, '0'),
                left(%(code)s, 5) || lpad(i::text, 13, '0'), '', '', %(industry)s, '',
                %(start)s, %(branch)s
            FROM generate_series(1, %(borrowers)s) AS i
            """,
            {
                "kind": BorrowerKind.INDIVIDUAL,
                "industry": Industry.F,
                "start": START,
                "branch": cast.branch.pk,
                "borrowers": BORROWERS,
                "code": cast.branch.code,
            },
        )


def grow_deviations(cast: Cast, total: int) -> float:
    """Add deviations of the branch until there are ``total``: refusals of several kinds."""
    started = time.perf_counter()
    have = count("workflow_deviation", "scope", cast.branch.code)
    if total <= have:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO workflow_deviation (content_type_id, object_id, scope, actor_id,
                actor_roles, transition, from_state, kind, severity, failed_checks, payload,
                channel, policy_version, created_at, seq, prev_hash, hash)
            SELECT %(loan_type)s, 1 + i %% 1000, %(scope)s, %(actor)s, '["account_manager"]',
                'approve', 'approval', (%(kinds)s::text[])[1 + i %% 3], 'high',
                '[{"code": "authority_sufficient", "reason": {"en": "Above the authority."}}]',
                '{}', 'web', 'bench', %(start)s::timestamptz + (i / 2) * interval '1 minute',
                %(seq_base)s + i, '', md5(i::text)
            FROM generate_series(%(first)s, %(last)s) AS i
            """,
            {
                "loan_type": ContentType.objects.get_for_model(Loan).pk,
                "scope": cast.branch.code,
                "actor": cast.manager.pk,
                "kinds": ["wrong_role", "wrong_person", "checks_failed"],
                "start": START,
                # Chain positions apart per branch: both branches' rows share the loan ids.
                "seq_base": cast.branch.pk * 10_000_000,
                "first": have + 1,
                "last": total,
            },
        )
        cursor.execute("ANALYZE workflow_deviation")
    return time.perf_counter() - started
