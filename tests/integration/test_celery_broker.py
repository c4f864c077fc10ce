"""Celery's broker wiring: Redis when REDIS_URL is set, in-process execution without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]


def _celery_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    broker, eager = json.loads(result.stdout.strip().splitlines()[-1])
    return {"broker": broker, "eager": eager}


def test_without_redis_tasks_run_in_process():
    assert _celery_settings() == {"broker": "memory://", "eager": True}


def test_with_redis_url_tasks_go_to_the_broker():
    assert _celery_settings(REDIS_URL="redis://127.0.0.1:6379/3") == {
        "broker": "redis://127.0.0.1:6379/3",
        "eager": False,
    }


@pytest.mark.redis
def test_a_message_sent_through_the_celery_app_arrives_in_redis(settings):
    queue_name = f"loanflow-test-{uuid.uuid4().hex}"
    with app.connection_for_write(settings.REDIS_URL) as connection:
        connection.ensure_connection(max_retries=1)
        queue = connection.SimpleQueue(queue_name)
        try:
            queue.put({"loan": 42, "kind": "reminder"})
            message = queue.get(timeout=5)
            message.ack()
        finally:
            queue.queue.delete()
            queue.close()

    assert message.payload == {"loan": 42, "kind": "reminder"}
