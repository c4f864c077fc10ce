"""gunicorn's settings for LoanFlow: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Values come from the environment (README, "Production"). The web process sits behind a proxy that
terminates TLS and sets ``X-Forwarded-Proto`` (trusted when TRUST_PROXY_SSL_HEADER=true).
"""

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer.") from None


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Requests are short and wait on PostgreSQL: a few sync processes per core. WEB_CONCURRENCY is the
# conventional name; each process keeps its own database pool (2–20 connections).
workers = _int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
threads = _int("GUNICORN_THREADS", 1)
# Connections waiting for a worker: a burst of clients queues here instead of being refused
# (runserver's queue of 10 dropped 25 of 150 concurrent requests). The kernel caps it at
# net.core.somaxconn.
backlog = _int("GUNICORN_BACKLOG", 2048)
# A worker silent this long is killed and replaced; on a stop or a reload, requests in flight get
# graceful_timeout to finish.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Replace each worker after about this many requests, so a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10

# Access and error logs to stdout/stderr, for the journal or the container's log. Under the
# production settings (the default here) one JSON object per line, like the application's own
# logs (LOG_FORMAT, config/gunicorn_logging.py); with LOG_FORMAT=text, lines where %(M)s is the
# request's duration in milliseconds.
_production = (
    os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.production")
    == "config.settings.production"
)
os.environ.setdefault("LOG_FORMAT", "json" if _production else "text")
logger_class = "config.gunicorn_logging.Logger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# No control socket (gunicorn 25+): one path per user would be shared by every instance on the
# machine; systemd and compose manage the process with signals.
control_socket_disable = True

# Worker heartbeats on a RAM disk where there is one (in containers /tmp may be an overlay).
_SHM = Path("/dev/shm")  # noqa: S108 - gunicorn's documented heartbeat folder, not a temp file
if _SHM.is_dir():
    worker_tmp_dir = str(_SHM)


def child_exit(server: object, worker: object) -> None:
    """A worker that exits leaves its counters to the sum; its live gauges go with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
