"""Reporting reads from a real streaming replica; writes, transitions and the engine's reads stay
on the primary, and a replica that lags behind breaks none of them.

The module starts its own primary and replica (tests/postgres_pair.py) and points Django at them
as ``DATABASE_URL`` and ``DATABASE_REPLICA_URL`` would. Which server answered is proved by what
only one of them holds: with the replica's replay paused, a row written on the primary is not
there yet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections
from django.urls import reverse

from config import db_router
from config.db_router import forget_writes, reads_from_replica
from loans.journeys import Cast, forward_step, prepare_to_leave
from loans.models import Loan
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.conftest import REQUIRE_SERVICES
from tests.postgres_pair import Pair, PairStartError, django_on, missing_binaries, started_pair
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation

# Transactional: a replica only ever sees what the primary committed. (Each test's teardown
# empties the pair's primary, which the replica follows.)
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

_tags = itertools.count(1)


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker) -> Iterator[Pair]:
    reason = None
    if connections["default"].vendor != "postgresql":
        reason = "needs PostgreSQL: set DATABASE_URL=postgres://..."
    reason = reason or missing_binaries()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but the read-replica tests {reason}")
        pytest.skip(reason)
    with django_db_blocker.unblock():
        try:
            with started_pair(connections["default"].settings_dict) as started, django_on(started):
                yield started
        except PairStartError as error:
            pytest.fail(f"could not start a primary and its replica: {error}")


@pytest.fixture
def staff(pair) -> dict[str, Any]:
    """A branch of the test's own in the pair's database: its people and a loan in intake."""
    tag = next(_tags)
    branch = factories.BranchFactory(code=f"R{tag:02d}", name=f"Replica sub-branch {tag}")

    def person(role: Role, name: str, **fields: Any) -> Any:
        return factories.staff(role, branch=branch, username=f"{name}-{tag}", **fields)

    cast = Cast(
        manager=person(Role.ACCOUNT_MANAGER, "manager"),
        co_investigator=person(Role.ACCOUNT_MANAGER, "co-investigator"),
        reviewer=person(Role.REVIEWER, "reviewer"),
        approver=person(Role.APPROVER, "approver", authority_level=3),
        officer=person(Role.DISBURSEMENT_OFFICER, "officer"),
    )
    product = factories.LoanProductFactory()
    return {
        "cast": cast,
        "head": person(Role.BRANCH_HEAD, "head"),
        "compliance": person(Role.COMPLIANCE_OFFICER, "compliance"),
        "new_loan": lambda: factories.LoanFactory(account_manager=cast.manager, product=product),
    }


@contextmanager
def statements() -> Iterator[dict[str, list[str]]]:
    """The SQL each server ran inside the block, by alias."""
    seen: dict[str, list[str]] = {"default": [], "replica": []}

    def recorder(alias: str) -> Any:
        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            seen[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    with (
        connections["default"].execute_wrapper(recorder("default")),
        connections["replica"].execute_wrapper(recorder("replica")),
    ):
        yield seen


def intake_count(response: Any) -> int:
    return dict(response.context["stages"])[LoanState.INTAKE]


def test_the_replica_is_a_replica_and_the_primary_is_not(pair):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_the_branch_overview_is_served_by_the_replica(pair, staff, client):
    staff["new_loan"]()
    client.force_login(staff["head"])

    with pair.replay_paused():
        staff["new_loan"]()  # on the primary only, while the replica stands still
        with statements() as ran:
            response = client.get(reverse("loans:overview"))

        assert response.status_code == 200
        assert intake_count(response) == 1  # the replica's count: the second loan is not there
        assert any("loans_loan" in sql for sql in ran["replica"])
        assert not any("loans_loan" in sql for sql in ran["default"])

    pair.wait_for_replay()
    assert intake_count(client.get(reverse("loans:overview"))) == 2


def test_the_deviation_log_and_its_export_are_served_by_the_replica(pair, staff, client):
    loan = staff["new_loan"]()
    client.force_login(staff["compliance"])

    with pair.replay_paused():
        with pytest.raises(TransitionRefused):  # written on the primary: a refusal's deviation
            perform_transition(loan, "approve", actor=staff["cast"].manager)
        with statements() as ran:
            log = client.get(reverse("loans:deviations"))
            export = client.get(reverse("loans:deviations-export"))
            lines = b"".join(export.streaming_content).decode().splitlines()

        assert log.status_code == 200
        assert loan.reference not in log.content.decode()
        assert len(lines) == 1  # the heading alone: the refusal has not reached the replica
        assert any("workflow_deviation" in sql for sql in ran["replica"])
        assert not any("workflow_deviation" in sql for sql in ran["default"])

    pair.wait_for_replay()
    assert loan.reference in client.get(reverse("loans:deviations")).content.decode()


def test_a_transition_from_the_loan_page_writes_and_reads_on_the_primary(pair, staff, client):
    cast = staff["cast"]
    loan = prepare_to_leave(staff["new_loan"](), cast)
    name, _part, payload = forward_step(loan)
    client.force_login(cast.manager)

    with pair.replay_paused():
        response = client.post(reverse("loans:transition", args=[loan.pk, name]), payload)
        page = client.get(response.url)

        assert response.status_code == 302
        assert Loan.objects.get(pk=loan.pk).state == LoanState.SITE_VISIT
        assert page.context["loan"].state == LoanState.SITE_VISIT
        with pair.replica() as replica:
            (state,) = replica.execute(
                "SELECT state FROM loans_loan WHERE id = %s", [loan.pk]
            ).fetchone()  # type: ignore[misc]
        assert state == LoanState.INTAKE  # the replica has not seen it yet


def test_the_engine_decides_on_the_primary_whatever_a_stale_replica_says(pair, staff):
    cast = staff["cast"]
    loan = prepare_to_leave(staff["new_loan"](), cast)
    name, _part, payload = forward_step(loan)

    with pair.replay_paused():
        perform_transition(loan, name, actor=cast.manager, payload=payload)
        forget_writes()  # a later request, which nothing pins to the primary
        with reads_from_replica():
            stale = Loan.objects.get(pk=loan.pk)
            assert stale.state == LoanState.INTAKE  # the replica is behind

            again = perform_transition(stale, name, actor=cast.manager, payload=payload)
            with pytest.raises(TransitionRefused) as refused:
                perform_transition(stale, "disburse", actor=cast.officer)

    # The engine locked and re-read the primary's row: the repeat answers with the state
    # reached, the refusal is judged from it and recorded there.
    assert again.state == LoanState.SITE_VISIT
    deviation = Deviation.objects.get(pk=refused.value.deviation.pk)
    assert deviation.from_state == LoanState.SITE_VISIT
    assert Loan.objects.get(pk=loan.pk).state == LoanState.SITE_VISIT


def test_after_a_write_the_same_request_reads_the_primary(pair, staff):
    loan = staff["new_loan"]()

    with pair.replay_paused():
        with connections["default"].cursor() as cursor:  # behind the router's back: no pin
            cursor.execute("UPDATE loans_loan SET amount = amount + 1 WHERE id = %s", [loan.pk])
        forget_writes()
        with reads_from_replica():
            assert Loan.objects.get(pk=loan.pk).amount == loan.amount  # the replica's copy

            factories.BranchFactory(code=f"W{loan.pk}")  # any write, through the router

            assert Loan.objects.get(pk=loan.pk).amount == loan.amount + 1  # the primary's


def test_while_the_replica_is_down_the_reports_answer_from_the_primary(
    pair, staff, client, monkeypatch
):
    monkeypatch.setattr(db_router, "_replica_down_until", 0.0)  # as it was, afterwards
    staff["new_loan"]()
    client.force_login(staff["head"])
    pair.stop_replica()
    try:
        with statements() as ran:
            first = client.get(reverse("loans:overview"))
            second = client.get(reverse("loans:overview"))
    finally:
        pair.start_replica()

    assert first.status_code == 200
    assert intake_count(first) == 1
    # The replica is left alone for a while: the next report goes straight to the primary.
    assert intake_count(second) == 1
    assert any("loans_loan" in sql for sql in ran["default"])
