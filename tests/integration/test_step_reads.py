"""A step's locked read brings the facts of the loan's file that its checks, effects and service
declare they read, and those of the audit snapshot; a fact a step did not declare is read when
asked for, in one statement more (loans/checks/facts.py, docs/performance.md)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loans import services
from loans.checks.facts import CONTRACT, UndeclaredFactError, file_fact_expressions
from loans.journeys import prepare_to_leave
from loans.models import Loan
from loans.states import LoanState
from tests import factories
from workflow import engine
from workflow.checks import EVERY_FACT
from workflow.engine import perform_transition, step_reads
from workflow.models import Channel
from workflow.registry import process_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy_in_force(db):
    factories.PolicyVersionFactory()


@pytest.fixture
def ready(cast, product):
    """A loan in intake with the records that let it start the site visit."""
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    return prepare_to_leave(loan, cast)


def start_site_visit(loan, manager) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        done = perform_transition(loan, "start_site_visit", actor=manager, channel=Channel.SYSTEM)
    assert done.state == LoanState.SITE_VISIT
    return [query["sql"] for query in captured.captured_queries]


def test_every_fact_a_step_declares_is_a_fact_of_the_file():
    process = process_for(Loan)
    names = process.definition.names() | {action.name for action in process.definition.actions}
    for name in sorted(names):
        reads = step_reads(process, name)
        if reads is not None:
            file_fact_expressions(reads)  # a name that is no fact raises ValueError


def test_a_step_reads_what_its_checks_and_effects_declare():
    process = process_for(Loan)
    start = step_reads(process, "start_site_visit")
    disburse = step_reads(process, "disburse")

    assert {"file_interviews", "file_blocked", "file_credit_authorisations"} <= start
    assert CONTRACT not in start
    # The signed contract and the open conditions (checks), the contract's rate (the effect
    # that makes the schedule).
    assert {CONTRACT, "file_open_conditions"} <= disburse
    # A policy exception judges another step's checks: it reads every fact.
    assert EVERY_FACT in process.definition.reads("exception_request")
    assert step_reads(process, "exception_request") is None


def test_the_locked_read_leaves_out_the_facts_the_step_does_not_read(ready, cast):
    # The step's first read is the locked one (FOR UPDATE on PostgreSQL; SQLite locks the file).
    [read, *_] = [sql for sql in start_site_visit(ready, cast.manager) if sql.startswith("SELECT")]

    assert "loans_interview" in read  # its checks and the snapshot
    assert "loans_blockedborrower" in read
    assert "loans_sitevisit" in read  # the snapshot
    assert "loans_instalment" not in read  # the schedule: post-loan steps only
    assert "loans_contract" not in read  # disbursement only
    assert "loans_approvalcondition" not in read


def test_in_the_test_suite_a_fact_the_step_did_not_declare_fails_the_step(ready, cast, monkeypatch):
    """The suite runs with UNDECLARED_FACTS_RAISE: a check that does not declare what it reads
    fails the tests that take its step."""
    monkeypatch.setitem(engine._step_reads, (Loan, "start_site_visit"), frozenset())

    with pytest.raises(UndeclaredFactError, match="file_blocked"):
        perform_transition(ready, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM)

    ready.refresh_from_db()
    assert ready.state == LoanState.INTAKE


def test_a_fact_the_step_did_not_declare_is_read_when_asked_for(
    ready, cast, product, monkeypatch, caplog, settings
):
    settings.UNDECLARED_FACTS_RAISE = False  # as in production
    other = prepare_to_leave(
        factories.LoanFactory(account_manager=cast.manager, product=product), cast
    )
    declared = len(start_site_visit(other, cast.manager))
    # As if the blocked-list check had not declared what it reads: only the snapshot's facts.
    monkeypatch.setitem(engine._step_reads, (Loan, "start_site_visit"), frozenset())

    with caplog.at_level(logging.WARNING, logger="loans.checks.facts"):
        undeclared = len(start_site_visit(ready, cast.manager))

    assert undeclared == declared + 1  # every fact, read once for the rest of the step
    warned = [record.getMessage() for record in caplog.records]
    assert len(warned) == 1
    assert "file_blocked" in warned[0]


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "read-when-asked"])
def test_a_blocked_borrower_is_refused_whichever_read_brought_the_fact(
    ready, cast, compliance, monkeypatch, settings, declared
):
    settings.UNDECLARED_FACTS_RAISE = False  # as in production
    services.blocked_borrower_add(
        id_number=ready.borrower.id_number,
        name=ready.borrower.name,
        reason="court enforcement list",
        added_by=compliance,
    )
    if not declared:
        monkeypatch.setitem(engine._step_reads, (Loan, "start_site_visit"), frozenset())

    with pytest.raises(engine.TransitionRefused) as refused:
        perform_transition(ready, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM)

    assert refused.value.deviation.failed_codes == ["borrower_not_blocked"]
    assert "court enforcement list" in refused.value.deviation.failed_checks[0]["reason"]["en"]
    ready.refresh_from_db()
    assert ready.state == LoanState.INTAKE
