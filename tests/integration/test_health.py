"""Probes: /healthz says the process is alive, /readyz whether it can serve (503 when not)."""

from __future__ import annotations

import socket
import time

import pytest
import time_machine
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder

from config import beat, health
from tests.e2e.processes import RedisServer
from workflow.models import OutboxMessage


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_answers_alive_without_touching_the_database(client):
    # No `db` fixture: a query here would fail the test.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_with_the_database_migrated_and_no_broker(client, db, settings):
    settings.REDIS_URL = None

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["migrations"] == {"status": "ok", "detail": "all applied"}
    assert body["checks"]["redis"] == {"status": "skipped", "detail": "not configured"}


def test_readyz_is_unready_while_a_migration_is_not_applied(client, db, settings):
    settings.REDIS_URL = None
    latest = MigrationRecorder.Migration.objects.filter(app="loans").order_by("-id").first()
    latest.delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["checks"]["migrations"]["status"] == "failing"
    assert f"loans.{latest.name}" in body["checks"]["migrations"]["detail"]
    assert body["checks"]["database"]["status"] == "ok"


def test_readyz_is_unready_when_the_database_does_not_answer(client, db, settings, monkeypatch):
    settings.REDIS_URL = None

    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_ping_database", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"status": "failing", "detail": "unreachable (OperationalError)"}
    assert checks["migrations"] == {"status": "failing", "detail": "the database does not answer"}


@pytest.mark.postgres
def test_readyz_turns_unready_within_seconds_when_postgresql_is_unreachable(client, db, settings):
    """A pool that cannot connect makes a request wait 10 s; the probe waits its own timeout."""
    settings.REDIS_URL = None
    alias, settings_dict = connection.alias, connection.settings_dict
    pools = connection._connection_pools
    in_use, port = pools.pop(alias), settings_dict["PORT"]
    settings_dict["PORT"] = str(_closed_port())
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        pools.pop(alias).close()
        pools[alias], settings_dict["PORT"] = in_use, port

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "failing",
        "detail": "unreachable (PoolTimeout)",
    }
    assert elapsed < health.PROBE_TIMEOUT_SECONDS + 3


def test_readyz_is_unready_when_redis_does_not_answer(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"] == {
        "status": "failing",
        "detail": "unreachable (ConnectionError)",
    }
    assert body["checks"]["database"]["status"] == "ok"


@pytest.fixture
def heartbeat(settings):
    """Beat's heartbeat in the test's Redis database, removed afterwards."""
    client = beat.redis_client()
    yield lambda age: beat.stamp(client, time.time() - age)
    client.delete(beat.HEARTBEAT_KEY)
    client.close()


@pytest.mark.redis
def test_readyz_pings_the_real_redis_and_reads_beats_heartbeat(client, db, heartbeat):
    # The clock stands still: on a loaded machine the other checks may take half a second,
    # and the age would read 4 s.
    with time_machine.travel(time.time(), tick=False):
        heartbeat(3)

        response = client.get("/readyz")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["redis"] == {"status": "ok", "detail": "answers"}
    assert checks["beat"] == {"status": "ok", "detail": "last heartbeat 3 s ago"}


@pytest.mark.redis
def test_readyz_is_unready_when_beats_heartbeat_is_stale(client, db, heartbeat, settings):
    settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS = 60
    heartbeat(90)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {
        "status": "failing",
        "detail": "last heartbeat 90 s ago (limit 60 s): is beat running?",
    }


@pytest.mark.redis
def test_readyz_is_unready_when_beat_never_wrote_a_heartbeat(client, db):
    beat.redis_client().delete(beat.HEARTBEAT_KEY)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {
        "status": "failing",
        "detail": "no heartbeat: is beat running?",
    }


@pytest.mark.redis
def test_readyz_is_unready_when_its_own_redis_stops(client, db, settings, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings.REDIS_URL = server.url
        beat.stamp(beat.redis_client())
        assert client.get("/readyz").status_code == 200
        server.stop()

        response = client.get("/readyz")
    finally:
        server.stop()

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == {"status": "failing", "detail": "unreachable (ConnectionError)"}
    assert checks["beat"]["status"] == "failing"
    assert checks["database"]["status"] == "ok"


def test_readyz_reports_the_outbox_backlog_without_turning_unready(client, db, settings):
    settings.REDIS_URL = None
    OutboxMessage.objects.create(task="workflow.tasks.email_notification", args=[1])

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["outbox"]["status"] == "ok"
    assert response.json()["checks"]["outbox"]["detail"].startswith("1 waiting, the oldest for ")
    assert response.json()["checks"]["beat"] == {"status": "skipped", "detail": "not configured"}


@pytest.mark.postgres
def test_readyz_asks_the_real_postgresql(client, db, settings):
    settings.REDIS_URL = None

    response = client.get("/readyz")

    assert response.json()["checks"]["database"] == {"status": "ok", "detail": "postgresql answers"}


def test_probes_are_not_sent_to_https_when_every_other_page_is(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = None

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_probes_answer_only_safe_methods(client):
    assert client.post("/healthz").status_code == 405
