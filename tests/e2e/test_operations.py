"""Operability with the real processes: queues, the request id in tasks, beat's heartbeat.

Each test runs its own Redis server (never the shared one), and its own worker or beat.
"""

from __future__ import annotations

import json
import time

import pytest
import redis

from config import beat
from config.celery_app import app
from config.request_context import request_id_bound
from tests.e2e.processes import Beat, RedisServer, Worker, run_scheduler_once, wait_until
from workflow import outbox
from workflow.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

EMAIL = "workflow.tasks.email_notification"
NO_SUCH_NOTIFICATION = 999_999  # the task finds none and sends nothing: enough to watch it run


@pytest.fixture
def redis_server(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    yield server
    server.stop()


def publish(server: RedisServer, task: str) -> None:
    """Publish ``task`` through the Celery app, as a request would, to the test's Redis."""
    with app.connection_for_write(server.url) as connection:
        app.send_task(task, connection=connection)


def _queue_lengths(server: RedisServer) -> dict[str, int]:
    client = redis.Redis.from_url(server.url)
    try:
        return {name: client.llen(name) for name in ("notifications", "sweeps", "analytics")}
    finally:
        client.close()


def test_tasks_are_routed_to_the_queue_of_their_kind(redis_server):
    outbox.enqueue(EMAIL, NO_SUCH_NOTIFICATION)

    run_scheduler_once(redis_server.url)  # relays the e-mail task
    publish(redis_server, "workflow.tasks.sweep_timers")
    publish(redis_server, "workflow.tasks.relay_outbox")

    assert _queue_lengths(redis_server) == {"notifications": 1, "sweeps": 2, "analytics": 0}


def test_a_task_enqueued_by_a_request_runs_under_its_request_id(redis_server, tmp_path):
    worker = Worker(redis_server.url, tmp_path, env={"LOG_FORMAT": "json"})
    worker.start()
    try:
        with request_id_bound("req-7c1d5e"):
            message = outbox.enqueue(EMAIL, NO_SUCH_NOTIFICATION)
        assert message.request_id == "req-7c1d5e"
        run_scheduler_once(redis_server.url)

        def task_lines() -> list[dict]:
            lines = [json.loads(line) for line in worker.output if line.startswith("{")]
            return [line for line in lines if line.get("task_name", "").endswith("notification")]

        wait_until(lambda: task_lines(), what="the task's log lines", timeout=30)
    finally:
        worker.stop()

    assert {line["request_id"] for line in task_lines()} == {"req-7c1d5e"}


def test_a_request_id_rides_along_a_task_published_directly(redis_server):
    with request_id_bound("req-direct-1"):
        publish(redis_server, "workflow.tasks.relay_outbox")

    client = redis.Redis.from_url(redis_server.url)
    raw = client.lpop("sweeps")
    client.close()
    headers = json.loads(raw)["headers"]
    assert headers["request_id"] == "req-direct-1"
    assert headers["published_at"] <= time.time()


def test_readyz_follows_beat_as_it_starts_and_dies(redis_server, client, tmp_path, settings):
    settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS = 3
    started = Beat(redis_server.url, tmp_path)
    started.start()
    try:
        wait_until(
            lambda: client.get("/readyz").status_code == 200, what="readyz with beat", timeout=30
        )
        assert client.get("/readyz").json()["checks"]["beat"]["status"] == "ok"
        started.kill()

        wait_until(
            lambda: client.get("/readyz").status_code == 503, what="readyz without beat", timeout=30
        )
    finally:
        started.kill()

    checks = client.get("/readyz").json()["checks"]
    assert checks["beat"]["status"] == "failing"
    assert "is beat running?" in checks["beat"]["detail"]
    assert checks["redis"]["status"] == checks["database"]["status"] == "ok"


def test_beat_writes_no_heartbeat_where_there_is_no_redis(redis_server):
    client = beat.redis_client()
    client.delete(beat.HEARTBEAT_KEY)
    assert beat.last_heartbeat(client) is None
    beat.stamp(client, 1000.0)
    assert beat.last_heartbeat(client) == 1000.0
    client.close()
    assert not OutboxMessage.objects.exists()
