"""Faults under load, against a real gunicorn: the database drops every connection while clients
keep asking; the test's own Redis stops and comes back while transitions go on.

Only this test's database's backends are ended, and only the Redis server this test started is
stopped; the shared servers are left alone.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from loans.journeys import advance, prepare_to_leave
from loans.states import LoanState
from tests import factories
from tests.e2e.processes import Gunicorn, RedisServer, Worker, run_scheduler_once, wait_until
from tests.postgres_backends import end_backends
from workflow.models import Deviation, OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 4


def _token(user) -> str:
    out = StringIO()
    call_command("issue_token", user.username, stdout=out)
    return out.getvalue().strip()


def _request(server: Gunicorn, method: str, path: str, token: str, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def server(transactional_db, tmp_path):
    started = Gunicorn(workers=2, env={"REDIS_URL": "", "LOG_FORMAT": "json"})
    started.start()
    yield started
    started.stop()


def test_when_the_database_drops_every_connection_under_load_only_requests_in_flight_fail(
    server, cast, product
):
    for _ in range(3):
        factories.LoanFactory(account_manager=cast.manager, product=product)
    token = _token(cast.manager)
    answers: list[tuple[float, int | str]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            asked = time.monotonic()  # when asked: a slow answer may end after the next kill
            try:
                status, _ = _request(server, "GET", "/api/v1/loans/", token)
            except OSError as error:
                status = type(error).__name__
            answers.append((asked, status))

    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    kills = []
    try:
        for _ in range(3):
            time.sleep(1.5)
            assert end_backends(spare_own=True) > 0
            # When the last backend has ended: ending each waits for it to exit, one by one.
            kills.append(time.monotonic())
        time.sleep(3)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)

    failed = [status for _, status in answers if status != 200]
    settled = [status for at, status in answers if at > kills[-1] + 1.5]
    assert all(isinstance(status, int) for _, status in answers), "every request got an answer"
    assert len(failed) <= len(kills) * CLIENTS, failed  # at most the requests in flight
    assert settled, "requests went on after the last restart"
    failures = [(round(at - kills[0], 3), status) for at, status in answers if status != 200]
    log = "".join(line for line in server.output if '"status": 200' not in line)
    kills_at = [round(at - kills[0], 3) for at in kills]
    assert set(settled) == {200}, f"kills {kills_at}, failures {failures}\n{log[-4000:]}"
    assert len(answers) > 50


@pytest.mark.redis
def test_when_redis_restarts_under_load_transitions_answer_and_the_outbox_catches_up(
    cast, product, tmp_path
):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    web = Gunicorn(workers=2, env={"REDIS_URL": redis_server.url, "LOG_FORMAT": "json"})
    worker = Worker(redis_server.url, tmp_path)
    try:
        web.start()
        worker.start()
        loans = [
            prepare_to_leave(
                advance(
                    factories.LoanFactory(account_manager=cast.manager, product=product),
                    LoanState.REVIEW,
                    cast,
                ),
                cast,
            )
            for _ in range(4)
        ]
        token = _token(cast.reviewer)

        def submit(loan) -> int:
            path = f"/api/v1/loans/{loan.pk}/transitions/submit_for_approval/"
            return _request(web, "POST", path, token, {})[0]

        assert submit(loans[0]) == 200
        redis_server.stop()
        during = [submit(loan) for loan in loans[1:3]]
        ready_during = _request(web, "GET", "/readyz", token)
        OutboxMessage.objects.create(task="workflow.tasks.email_notification", args=[999_999])
        stuck = run_scheduler_once(redis_server.url)  # the relay cannot reach the broker

        redis_server.start()  # a new, empty Redis on the same port
        after = submit(loans[3])
        run_scheduler_once(redis_server.url)
        wait_until(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
            what="the outbox to be relayed",
        )
        wait_until(
            lambda: any(
                "succeeded" in line and "email_notification" in line for line in worker.output
            ),
            what="the worker to run the relayed task after Redis came back",
            timeout=60,
        )
        ready_after = json.loads(_request(web, "GET", "/readyz", token)[1])
    finally:
        worker.stop()
        web.stop()
        redis_server.stop()

    assert during == [200, 200]
    assert after == 200
    assert ready_during[0] == 503
    assert json.loads(ready_during[1])["checks"]["redis"]["status"] == "failing"
    assert stuck.returncode == 0
    assert ready_after["checks"]["redis"]["status"] == "ok"
    assert not Deviation.objects.exists()
