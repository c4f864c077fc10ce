"""Prometheus metrics at ``/metrics``: what the engine did, what waits, how tasks run.

Counted as it happens, in the process where it happens: transitions by name, refusals by step
and kind, the checks that blocked them by code and kind, deviations by kind and severity, tasks
by name and outcome, with their run time and their wait in the queue. Read from the database at
each scrape: the outbox backlog (and its oldest message's age) and the overdue timers.

Under gunicorn (several processes) and a prefork Celery worker, set ``PROMETHEUS_MULTIPROC_DIR``
to an empty directory shared by the web and worker processes on the machine: each process writes
its counters there and ``/metrics`` adds them up (prometheus_client's multiprocess mode). Without
it, ``/metrics`` reports the process that answers (the demo, tests).

Access: from the addresses in ``METRICS_ALLOWED_ADDRESSES`` (default loopback), asked directly
(a request that came through a proxy, with ``X-Forwarded-For``, is not "from" the proxy's
address), or from anywhere with ``Authorization: Bearer <METRICS_TOKEN>``. Anything else: 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

TRANSITIONS = Counter(
    "loanflow_transitions", "Transitions performed.", ["transition", "source", "target"]
)
REFUSALS = Counter(
    "loanflow_refusals",
    "Steps (transitions and actions) refused by the engine, each recorded as a deviation.",
    ["step", "kind"],
)
FAILED_CHECKS = Counter(
    "loanflow_failed_checks", "Checks that blocked a refused step.", ["step", "check", "check_kind"]
)
DEVIATIONS = Counter(
    "loanflow_deviations", "Deviations recorded (refusals and lateness).", ["kind", "severity"]
)
RESPONSES = Counter("loanflow_http_responses", "Responses answered, by status.", ["status"])
TASKS = Counter("loanflow_tasks", "Celery tasks finished, by outcome.", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "loanflow_task_duration_seconds",
    "Time a Celery task ran.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
TASK_WAIT_SECONDS = Histogram(
    "loanflow_task_queue_wait_seconds",
    "Time a Celery task waited between its publication and its start.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
)


class BacklogCollector(Collector):
    """What waits, read from the database when Prometheus asks."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from workflow.models import OutboxMessage, Timer

        now = timezone.now()
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
        backlog = unsent.aggregate(oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "loanflow_outbox_backlog", "Outbox messages not yet sent to the broker.", unsent.count()
        )
        oldest = backlog["oldest"]
        yield GaugeMetricFamily(
            "loanflow_outbox_oldest_age_seconds",
            "Age of the oldest outbox message not yet sent (0 when none waits).",
            (now - oldest).total_seconds() if oldest else 0.0,
        )
        overdue = Timer.objects.filter(stopped_at__isnull=True, due_at__lt=now)
        yield GaugeMetricFamily(
            "loanflow_overdue_timers", "Running timers past their due time.", overdue.count()
        )
        late = overdue.filter(due_at__lt=now - timedelta(days=1)).count()
        yield GaugeMetricFamily(
            "loanflow_overdue_timers_over_a_day", "Running timers more than a day late.", late
        )


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition() -> bytes:
    """Every metric in Prometheus's text format."""
    if multiprocess_dir():
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    read = CollectorRegistry()
    read.register(BacklogCollector())
    return generate_latest(counted) + generate_latest(read)


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def allowed(request: HttpRequest) -> bool:
    token: str = settings.METRICS_TOKEN
    if token and hmac.compare_digest(_bearer_token(request).encode(), token.encode()):
        return True
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False  # through the proxy: its address says nothing of the client
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- What is counted as it happens ----------------------------------------------------------


class ResponseCountMiddleware:
    """Count each response by status (a 5xx is a bug to look at)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        RESPONSES.labels(str(response.status_code)).inc()
        return response


def count_transition(sender: Any, *, name: str, source: str, target: str, **kwargs: Any) -> None:
    TRANSITIONS.labels(name, source, target).inc()


def count_deviation(sender: Any, *, deviation: Any, decision: Any, **kwargs: Any) -> None:
    DEVIATIONS.labels(deviation.kind, deviation.severity).inc()
    if deviation.kind in REFUSAL_KINDS:
        REFUSALS.labels(decision.name, decision.refusal).inc()
        for result in decision.failed:
            FAILED_CHECKS.labels(decision.name, result.code, result.kind).inc()


# Deviations that are a step refused (the others: lateness, exceptions granted or refused).
REFUSAL_KINDS = {"wrong_state", "out_of_scope", "wrong_role", "wrong_person", "checks_failed"}
