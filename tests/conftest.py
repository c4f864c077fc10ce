"""Shared fixtures: a branch with one member of staff per role, and an outsider from another one.

Tests marked ``postgres`` or ``redis`` need the real service: they skip with a reason when it is
not configured, and fail instead under ``REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import translation

from loans.journeys import Cast
from loans.roles import Role
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _flush_as_a_replica() -> None:
    """Between transactional tests Django empties every table with one TRUNCATE, which the
    record's triggers refuse (workflow/db_guards.py). The test database's superuser flushes with
    ``session_replication_role = replica`` for that one transaction, which leaves triggers
    unfired. Only a superuser may set it: the application's role never can (docs/security.md)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        flush(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


_flush_as_a_replica()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker has a Redis database of its own (the one after the
    configured one, plus the worker's number, modulo Redis's 16), as it has a test database of
    its own: keys the tests share, such as beat's heartbeat, are never written by two workers at
    once. Only this process's settings change: a server or worker a test starts is given its own
    Redis URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (settings.REDIS_URL and worker.startswith("gw")):
        return
    parts = urlsplit(settings.REDIS_URL)
    database = (int(parts.path.strip("/") or 0) + 1 + int(worker.removeprefix("gw"))) % 16
    settings.REDIS_URL = settings.CELERY_BROKER_URL = urlunsplit(
        parts._replace(path=f"/{database}")
    )


def _missing_service(marker: str) -> str | None:
    if marker == "postgres":
        if connection.vendor != "postgresql":
            return "needs PostgreSQL: set DATABASE_URL=postgres://..."
        return None
    if marker == "redis":
        if not settings.REDIS_URL:
            return "needs Redis: set REDIS_URL=redis://..."
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            return f"Redis at {settings.REDIS_URL} does not answer: {error}"
        return None
    return None


@pytest.fixture(autouse=True)
def _require_services(request: pytest.FixtureRequest) -> None:
    for marker in ("postgres", "redis"):
        if request.node.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path) -> None:
    """Uploaded files go to a folder of the test's own, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_of_its_own() -> Iterator[None]:
    """Each test starts in the default language: a page requested in Chinese leaves Chinese
    active in the thread (LocaleMiddleware), and the next test in that process would read it."""
    yield
    translation.deactivate()


@pytest.fixture
def mid_morning() -> Iterator[None]:
    """The clock at 10:00 in Shanghai on a working day, running. For a test that dates records a
    little before now: in the first minutes after local midnight, a little before now is the day
    before the application, which the engine rightly refuses. List it first, before the fixtures
    that make the loan."""
    with time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


@pytest.fixture
def branch(db):
    return factories.BranchFactory(code="B01", name="County Sub-branch")


@pytest.fixture
def other_branch(db):
    return factories.BranchFactory(code="B02", name="Town Sub-branch")


@pytest.fixture
def manager(branch):
    return factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="manager1")


@pytest.fixture
def co_investigator(branch):
    return factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="manager2")


@pytest.fixture
def reviewer(branch):
    return factories.staff(Role.REVIEWER, branch=branch, username="reviewer1")


@pytest.fixture
def approver(branch):
    return factories.staff(Role.APPROVER, branch=branch, username="approver3", authority_level=3)


@pytest.fixture
def junior_approver(branch):
    return factories.staff(Role.APPROVER, branch=branch, username="approver1", authority_level=1)


@pytest.fixture
def officer(branch):
    return factories.staff(Role.DISBURSEMENT_OFFICER, branch=branch, username="officer1")


@pytest.fixture
def compliance(branch):
    return factories.staff(Role.COMPLIANCE_OFFICER, branch=branch, username="compliance1")


@pytest.fixture
def outsider(other_branch):
    """An account manager of another branch: must never see or touch this branch's loans."""
    return factories.staff(Role.ACCOUNT_MANAGER, branch=other_branch, username="manager9")


@pytest.fixture
def cast(manager, co_investigator, reviewer, approver, officer):
    return Cast(
        manager=manager,
        co_investigator=co_investigator,
        reviewer=reviewer,
        approver=approver,
        officer=officer,
    )


@pytest.fixture
def product(db):
    return factories.LoanProductFactory()


@pytest.fixture
def loan(manager, product):
    """A complete application in intake, ready for its interview to be recorded."""
    return factories.LoanFactory(account_manager=manager, product=product)
