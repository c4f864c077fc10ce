"""Probes for a process manager or a load balancer: ``/healthz`` (alive) and ``/readyz`` (ready).

``/healthz`` touches nothing: a failure means the process should be restarted. ``/readyz`` asks
what a request needs — the database, Redis when ``REDIS_URL`` is set, every migration applied —
and that Celery beat is alive (its heartbeat in Redis younger than
``BEAT_HEARTBEAT_MAX_AGE_SECONDS``: without beat no timer fires and no e-mail leaves), and
answers 503 while one is missing, so traffic goes elsewhere without restarting anything. It also
reports the outbox backlog (messages waiting for the broker), which alone never makes it unready:
alert on it from the metrics.
Both are anonymous and exempt from the HTTPS redirect (``SECURE_REDIRECT_EXEMPT``), as probes
speak to the process directly; a failing check names the error's kind, the log has the details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal, TypedDict

import psycopg
import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config import beat

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2


class CheckResult(TypedDict):
    status: Literal["ok", "failing", "skipped"]
    detail: str


class NotReadyError(Exception):
    """A check's answer that is not ready, in words fit for the probe's reply."""


def _ping_database() -> None:
    """``SELECT 1`` on a connection as requests get theirs: from the pool when there is one,
    waiting at most the probe's timeout (a request would wait the pool's,
    DATABASE_POOL_TIMEOUT, 10 s by default)."""
    pool = getattr(connection, "pool", None)
    if pool is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return
    pool.open()
    with pool.connection(timeout=PROBE_TIMEOUT_SECONDS) as conn:
        conn.execute("SELECT 1")


def check_database() -> str:
    try:
        _ping_database()
    except (DatabaseError, psycopg.Error) as error:
        logger.warning("readyz: the database does not answer: %s", error)
        raise NotReadyError(f"unreachable ({type(error).__name__})") from error
    return f"{connection.vendor} answers"


def check_redis() -> str | None:
    """Ping the broker; None when there is none (REDIS_URL unset: tasks run in-process)."""
    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        logger.warning("readyz: Redis does not answer: %s", error)
        raise NotReadyError(f"unreachable ({type(error).__name__})") from error
    finally:
        client.close()
    return "answers"


def check_migrations() -> str:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("readyz: cannot read the applied migrations: %s", error)
        raise NotReadyError(f"cannot be read ({type(error).__name__})") from error
    if plan:
        raise NotReadyError(
            f"{len(plan)} not applied, the first {plan[0][0].app_label}.{plan[0][0].name}"
        )
    return "all applied"


def check_audit_verification() -> str | None:
    """How long ago the record was last verified whole, and the result (docs/security.md); None
    before the first verification. Informative only: a broken chain is for compliance to act on
    (they are notified), not a reason to take the application out of traffic."""
    from django.utils import timezone

    from workflow.verification import latest_complete_run

    try:
        run = latest_complete_run()
    except DatabaseError as error:
        logger.warning("readyz: cannot read the last audit verification: %s", error)
        raise NotReadyError(f"cannot be read ({type(error).__name__})") from error
    if run is None:
        return None
    hours = (timezone.now() - run.finished_at).total_seconds() / 3600
    result = "intact" if run.intact else f"{run.breaks} broken"
    return f"{hours:.1f} hours ago: {result}"


def check_beat() -> str | None:
    """The age of beat's last heartbeat; None without a broker (``run_scheduler`` instead)."""
    if not settings.REDIS_URL:
        return None
    client = beat.redis_client()
    try:
        stamped = beat.last_heartbeat(client)
    except (redis.RedisError, OSError) as error:
        raise NotReadyError(
            f"cannot be read, Redis unreachable ({type(error).__name__})"
        ) from error
    finally:
        client.close()
    if stamped is None:
        raise NotReadyError("no heartbeat: is beat running?")
    age = max(0.0, time.time() - stamped)
    limit = settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS
    if age > limit:
        raise NotReadyError(f"last heartbeat {age:.0f} s ago (limit {limit} s): is beat running?")
    return f"last heartbeat {age:.0f} s ago"


def check_outbox() -> str:
    from workflow.models import OutboxMessage

    try:
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
        waiting = unsent.count()
        oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
    except DatabaseError as error:
        raise NotReadyError(f"cannot be read ({type(error).__name__})") from error
    if not waiting:
        return "none waiting"
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return f"{waiting} waiting, the oldest for {age:.0f} s"


def _result(check: Callable[[], str | None]) -> CheckResult:
    try:
        detail = check()
    except NotReadyError as failure:
        return {"status": "failing", "detail": str(failure)}
    if detail is None:
        return {"status": "skipped", "detail": "not configured"}
    return {"status": "ok", "detail": detail}


def run_checks() -> dict[str, CheckResult]:
    """Each check's result; the migrations are not asked of a database that does not answer."""
    database = _result(check_database)
    down: CheckResult = {"status": "failing", "detail": "the database does not answer"}
    answers = database["status"] == "ok"
    checks = {
        "database": database,
        "redis": _result(check_redis),
        "migrations": _result(check_migrations) if answers else down,
        "beat": _result(check_beat),
        "outbox": _result(check_outbox) if answers else down,
    }
    if checks["migrations"]["status"] == "ok":
        checks["audit_verification"] = _result(check_audit_verification)
    return checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    ready = all(result["status"] != "failing" for result in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unready", "checks": checks},
        status=200 if ready else 503,
    )
