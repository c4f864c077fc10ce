"""Faults: the database drops every connection (a restart, a failover) and requests go on."""

from __future__ import annotations

from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from loans.journeys import advance, prepare_to_leave
from loans.states import LoanState
from tests import factories
from tests.postgres_backends import end_backends
from workflow.models import Deviation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 20
POOLED = 5  # connections the pool holds when the database drops them


def _api_client(user) -> APIClient:
    token = StringIO()
    call_command("issue_token", user.username, stdout=token)
    client = APIClient(raise_request_exception=False)  # a failure is the 500 a user gets
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.getvalue().strip()}")
    return client


def _as_served(send):
    """A request as the WSGI handler serves it: connections released before and after.

    The test client skips ``close_old_connections`` around a request, so without this the test's
    own connection would be reused by every request instead of one taken from the pool.
    """
    close_old_connections()
    try:
        return send()
    finally:
        close_old_connections()


def _fill_the_pool(size: int) -> None:
    """Leave ``size`` open connections idle in the pool, as after a burst of requests."""
    connection.ensure_connection()
    pool = connection.pool
    assert pool is not None, "PostgreSQL is configured with Django's connection pool"
    taken = [pool.getconn() for _ in range(size)]
    for conn in taken:
        pool.putconn(conn)


@pytest.fixture
def _a_fresh_pool_afterwards():
    """Whatever the test leaves in the pool, the flush after it gets a working connection."""
    yield
    connection.close()
    connection.close_pool()


@pytest.mark.usefixtures("_a_fresh_pool_afterwards")
def test_no_request_answers_500_after_the_database_drops_its_connections(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = prepare_to_leave(advance(loan, LoanState.REVIEW, cast), cast)
    manager, reviewer = _api_client(cast.manager), _api_client(cast.reviewer)
    close_old_connections()
    _fill_the_pool(POOLED)

    assert end_backends() >= POOLED

    statuses = [
        _as_served(lambda: manager.get("/api/v1/loans/")).status_code for _ in range(REQUESTS)
    ]
    transition = _as_served(
        lambda: reviewer.post(
            f"/api/v1/loans/{loan.pk}/transitions/submit_for_approval/", {}, format="json"
        )
    )

    assert statuses == [200] * REQUESTS
    assert transition.status_code == 200, transition.content
    loan.refresh_from_db()
    assert loan.state == LoanState.APPROVAL


def _terminate(pid: int) -> None:
    """End one backend (this test database's own) and wait until it has gone."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as control:
        control.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@pytest.fixture
def kill_the_connection_after_commit(monkeypatch):
    """Wrap the engine's entry point as a view calls it: the step commits, then the request's
    connection dies (a failover at the worst moment), before the view reads the loan again."""
    from workflow import engine

    def wrap(module):
        performed = module.perform_transition

        def perform_then_lose_the_connection(*args, **kwargs):
            result = performed(*args, **kwargs)
            _terminate(connection.connection.info.backend_pid)
            return result

        monkeypatch.setattr(module, "perform_transition", perform_then_lose_the_connection)

    assert engine.perform_transition
    return wrap


@pytest.mark.usefixtures("_a_fresh_pool_afterwards")
def test_a_committed_api_transition_answers_from_the_committed_state_and_its_retry_replays(
    cast, product, kill_the_connection_after_commit
):
    from loans.api import steps  # where the API performs its steps

    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = prepare_to_leave(advance(loan, LoanState.REVIEW, cast), cast)
    reviewer = _api_client(cast.reviewer)
    kill_the_connection_after_commit(steps)
    url = f"/api/v1/loans/{loan.pk}/transitions/submit_for_approval/"

    first = _as_served(
        lambda: reviewer.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-after-commit")
    )
    retry = _as_served(
        lambda: reviewer.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-after-commit")
    )

    assert first.status_code == 200, first.content
    assert first.json()["state"] == LoanState.APPROVAL
    assert retry.status_code == 200, retry.content
    assert retry.json()["state"] == LoanState.APPROVAL
    assert retry.json()["id"] == first.json()["id"] == loan.pk
    assert not Deviation.objects.filter(object_id=loan.pk).exists()


@pytest.mark.usefixtures("_a_fresh_pool_afterwards")
def test_a_committed_web_transition_answers_from_the_committed_state_and_its_retry_is_quiet(
    cast, product, client, kill_the_connection_after_commit
):
    from loans import views as web_views

    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = prepare_to_leave(advance(loan, LoanState.REVIEW, cast), cast)
    client.raise_request_exception = False
    client.force_login(cast.reviewer)
    kill_the_connection_after_commit(web_views)
    url = f"/loans/{loan.pk}/transitions/submit_for_approval/"
    form = {"idempotency_key": "web-after-commit"}

    first = _as_served(lambda: client.post(url, form))
    retry = _as_served(lambda: client.post(url, form))
    page = _as_served(lambda: client.get(f"/loans/{loan.pk}/"))

    assert first.status_code == 302
    assert retry.status_code == 302
    assert page.status_code == 200
    loan.refresh_from_db()
    assert loan.state == LoanState.APPROVAL
    assert not Deviation.objects.filter(object_id=loan.pk).exists()
