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


def _terminate_every_backend() -> int:
    """What a restart or a failover does: every backend of the database ends, but this one's."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as control:
        rows = control.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)


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

    assert _terminate_every_backend() >= POOLED

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
