"""The database router's rules that need no server: the settings, one database, migrations.

What a real replica serves is in tests/integration/test_read_replica.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import router

from config.db_router import PrimaryReplicaRouter, read_database, reads_from_replica
from loans.models import Loan

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter (settings are read once a process) under ``env``."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from config.settings.local import DATABASES as D, DATABASE_ROUTERS as R;"
        " print(sorted(D), D.get('replica', {}).get('ENGINE'), D.get('replica', {}).get('PORT'),"
        " D.get('replica', {}).get('TEST'), R)"
    )
    return _run(code, env)


def test_without_a_replica_there_is_one_database():
    shown = _settings(DATABASE_URL="", DATABASE_REPLICA_URL="")

    assert shown.stdout.startswith("['default'] None"), shown.stderr


def test_a_replica_url_adds_a_pooled_replica_that_tests_mirror_to_the_primary():
    shown = _settings(
        DATABASE_URL="postgres://loanflow@db-primary:5432/loanflow",
        DATABASE_REPLICA_URL="postgres://loanflow@db-replica:5433/loanflow",
    )

    assert shown.stdout.split(" ", 4)[:4] == [
        "['default',",
        "'replica']",
        "config.postgresql",
        "5433",
    ]
    assert "'MIRROR': 'default'" in shown.stdout, shown.stderr
    assert "config.db_router.PrimaryReplicaRouter" in shown.stdout


def test_a_replica_of_a_sqlite_database_stops_the_start():
    shown = _settings(
        DATABASE_URL="", DATABASE_REPLICA_URL="postgres://loanflow@db-replica:5433/loanflow"
    )

    assert shown.returncode != 0
    assert "DATABASE_REPLICA_URL is a replica of the PostgreSQL primary" in shown.stderr


def test_behind_pgbouncer_the_primary_holds_no_cursor_between_transactions():
    code = (
        "from config.settings.local import DATABASES as D;"
        " print(D['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    env = {"DATABASE_URL": "postgres://loanflow@pgbouncer:6432/loanflow"}
    shown = [
        _run(code, {**env, **extra}).stdout.strip() for extra in ({}, {"DATABASE_PGBOUNCER": "1"})
    ]

    assert shown == ["False", "True"]


def test_prepared_statements_are_on_but_behind_pgbouncer_only_when_asked_for():
    code = (
        "from config.settings.local import DATABASES as D;"
        " print(D['default']['OPTIONS']['prepare_threshold'])"
    )
    env = {"DATABASE_URL": "postgres://loanflow@db:5432/loanflow"}
    cases = (
        {},
        {"DATABASE_PREPARED_STATEMENTS": "0"},
        {"DATABASE_PGBOUNCER": "1"},
        {"DATABASE_PGBOUNCER": "1", "DATABASE_PREPARED_STATEMENTS": "1"},
    )
    shown = [_run(code, {**env, **extra}).stdout.strip() for extra in cases]

    # psycopg prepares what the engine asks for; None turns preparing off on the connection.
    assert shown == ["5", "None", "None", "5"]


def test_without_a_replica_reporting_reads_the_default_database():
    with reads_from_replica():
        assert read_database() == "default"
        assert router.db_for_read(Loan) == "default"


def test_writes_go_to_the_primary_and_migrations_never_run_on_the_replica():
    rules = PrimaryReplicaRouter()

    assert rules.db_for_write(Loan) == "default"
    assert rules.allow_migrate("default", "loans") is True
    assert rules.allow_migrate("replica", "loans") is False
