"""gunicorn's error and access logs in the deployment's format (``LOG_FORMAT``).

With ``json`` each line is one JSON object (config/log_format.py); an access line carries
``method``, ``path`` (without the query string, which may hold personal data), ``status``,
``bytes``, ``duration_ms``, ``peer`` (the proxy's address when there is one), ``user_agent`` and
the ``request_id`` the application answered with (``X-Request-ID``).
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn import glogging

from config.log_format import ContextFilter, JsonFormatter


def log_format() -> str:
    return os.environ.get("LOG_FORMAT", "text").strip().lower()


class Logger(glogging.Logger):  # type: ignore[misc]  # gunicorn is untyped
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if log_format() != "json":
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
                handler.addFilter(ContextFilter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if log_format() != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        status = str(resp.status).split(None, 1)[0]
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": int(status) if status.isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "peer": environ.get("REMOTE_ADDR", ""),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
            },
        )
