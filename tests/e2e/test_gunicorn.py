"""The web process as deployed: gunicorn under the production settings, against PostgreSQL."""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from tests.e2e.processes import Gunicorn, wait_until

# The mark makes pytest-django create the test database the server uses; nothing is written.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BURST = 150


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, tmp_path_factory):
    """One server for the module, on the test database (created, migrated and left empty), with
    its processes' metrics in a directory of its own."""
    metrics_dir = tmp_path_factory.mktemp("metrics")
    env = {"REDIS_URL": "", "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = Gunicorn(workers=2, env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _get(server: Gunicorn, path: str, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_every_request_of_a_burst_of_150_at_once_gets_an_answer(gunicorn):
    """runserver's listen queue of 10 dropped 25 of 150; gunicorn's backlog queues them. Each
    request asks the database (/readyz: a connection from the pool, the migration plan)."""
    statuses: list[int | str] = []
    start = threading.Barrier(BURST)

    def one() -> None:
        start.wait()
        try:
            statuses.append(_get(gunicorn, "/readyz").status)
        except OSError as error:
            statuses.append(type(error).__name__)

    clients = [threading.Thread(target=one) for _ in range(BURST)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=120)

    assert statuses == [200] * BURST


def _access_lines(server: Gunicorn) -> list[dict]:
    lines = []
    for line in server.output:
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == "gunicorn.access":
                lines.append(entry)
    return lines


def test_the_access_log_is_json_with_the_request_id_the_proxy_sent(gunicorn):
    response = _get(gunicorn, "/healthz", {"X-Request-ID": "proxy-4f2a9c"})

    assert response.getheader("X-Request-ID") == "proxy-4f2a9c"
    wait_until(
        lambda: any(e["request_id"] == "proxy-4f2a9c" for e in _access_lines(gunicorn)),
        timeout=10,
        what="the access log line",
    )
    line = next(e for e in _access_lines(gunicorn) if e["request_id"] == "proxy-4f2a9c")
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)


def test_a_request_without_a_valid_id_gets_a_new_one_in_the_header_and_the_log(gunicorn):
    response = _get(gunicorn, "/healthz", {"X-Request-ID": "bad id with spaces"})

    generated = response.getheader("X-Request-ID")
    assert generated
    assert generated != "bad id with spaces"
    wait_until(
        lambda: any(e["request_id"] == generated for e in _access_lines(gunicorn)),
        timeout=10,
        what="the access log line",
    )


def test_metrics_add_up_every_gunicorn_process(gunicorn):
    def served() -> float:
        body = _metrics(gunicorn)
        lines = [line for line in body.splitlines() if line.startswith(OK_RESPONSES)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    before = served()
    for _ in range(20):  # over both processes
        _get(gunicorn, "/healthz")

    assert served() - before >= 20
    assert "loanflow_outbox_backlog 0.0" in _metrics(gunicorn)


OK_RESPONSES = 'loanflow_http_responses_total{status="200"}'


def _metrics(server: Gunicorn) -> str:

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()
