"""Celery's side of operability: logs, the request id carried into tasks, task metrics.

- Logging: the worker and beat log through Django's ``LOGGING`` (JSON in production) instead of
  Celery's own format, so every process writes the same lines.
- Request id: a task published while a request (or another task) is served carries its id in a
  message header; the task runs under it, so its log lines share the request's id. A task
  without one (fired by beat) runs under its own task id.
- Metrics: run time, wait in the queue, and outcome per task (config/metrics.py).
"""

from __future__ import annotations

import logging.config
import time
from contextvars import Token
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from config import metrics
from config.request_context import _request_id, current_request_id

HEADER = "request_id"
PUBLISHED = "published_at"

# What a running task set, to undo when it ends: its id -> (request id token, start time).
_running: dict[str, tuple[Token[str], float]] = {}


def use_django_logging(**kwargs: Any) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def stamp_the_message(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    request_id = current_request_id()
    if request_id and not headers.get(HEADER):
        headers[HEADER] = request_id
    headers.setdefault(PUBLISHED, time.time())


def _header(task: Any, name: str) -> Any:
    value = getattr(task.request, name, None)
    if value is None:
        value = (getattr(task.request, "headers", None) or {}).get(name)
    return value


def enter_the_task(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    if task is None:
        return
    # Run in-process (no broker, the demo), a task keeps the id of the request that called it.
    token = _request_id.set(str(_header(task, HEADER) or current_request_id() or task_id))
    started = time.time()
    published = _header(task, PUBLISHED)
    if isinstance(published, int | float):
        metrics.TASK_WAIT_SECONDS.labels(task.name).observe(max(0.0, started - published))
    _running[task_id] = (token, time.perf_counter())


def leave_the_task(
    task_id: str = "", task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    entered = _running.pop(task_id, None)
    if task is None or entered is None:
        return
    token, started = entered
    metrics.TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)
    metrics.TASKS.labels(task.name, (state or "unknown").lower()).inc()
    _request_id.reset(token)


setup_logging.connect(use_django_logging)
before_task_publish.connect(stamp_the_message)
task_prerun.connect(enter_the_task)
task_postrun.connect(leave_the_task)
