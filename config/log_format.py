"""Log formats: one JSON object per line in production, readable lines on a console.

``LOG_FORMAT=json`` (the production default) writes each record as one JSON object: ``time``
(UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` (empty outside a request or a
task), ``process``, ``task_id`` and ``task_name`` inside a Celery task, ``exception`` with the
traceback, and every field a caller passed with ``extra=`` (the security events' fields, the
access log's). ``LOG_FORMAT=text`` (development, the demo) writes the same records as lines.
The web (gunicorn, see config/gunicorn.conf.py), the worker and beat share this configuration.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from config.request_context import current_request_id

# The attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Ours, or not for a log store: Django's request object (its path is in the access line).
_OURS = {"request_id", "task_id", "task_name", "request"}
FORMATS = ("json", "text")


def _current_task() -> tuple[str, str]:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a dependency
        return "", ""
    task = current_task._get_current_object() if current_task else None
    if task is None or task.request.id is None:
        return "", ""
    return str(task.request.id), str(task.name)


class ContextFilter(logging.Filter):
    """Stamp each record with the request id and the Celery task it was written in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # django.request logs a 4xx/5xx once the middleware has finished: from its request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or current_request_id()
        if not hasattr(record, "task_id"):
            record.task_id, record.task_name = _current_task()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "process": record.process,
        }
        if getattr(record, "task_id", ""):
            entry["task_id"] = getattr(record, "task_id", "")
            entry["task_name"] = getattr(record, "task_name", "")
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _OURS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str, *, level: str = "INFO") -> dict[str, Any]:
    """The ``LOGGING`` setting for ``log_format`` (``json`` or ``text``), to stderr."""
    formatter: dict[str, Any] = (
        {"()": "config.log_format.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.log_format.ContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "loanflow.security": {"level": "INFO"},
        },
    }
