"""What a step costs the database: a fixed number of statements, whatever the size of the data.

Counted are the statements that do work; the transaction's own (BEGIN, COMMIT, savepoints) are
not. The figures are those of docs/performance.md ("The engine (transitions)", "The timer sweep").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery_app import app
from loans.journeys import act, advance, forward_step, prepare_to_leave
from loans.states import LoanState
from tests import factories
from workflow import timers, verification
from workflow.audit import GENESIS_HASH, deviation_hash, events_of
from workflow.deviations import Decision, chain_and_save, deviation_for
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Chain, ChainSeal, Channel, Deviation, Notification, Timer
from workflow.registry import process_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(TRANSACTION_CONTROL)
    ]


@pytest.fixture(autouse=True)
def _policy_in_force(db):
    factories.PolicyVersionFactory()


@pytest.fixture
def ready(cast, product):
    """A loan in intake with the records that let it start the site visit."""
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    for person in (cast.manager, cast.co_investigator, cast.reviewer, cast.approver, cast.officer):
        assert person.roles  # the people's roles are read before counting, as a request does
    return prepare_to_leave(loan, cast)


def start_site_visit(loan, manager) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        perform_transition(loan, "start_site_visit", actor=manager, channel=Channel.SYSTEM)
    return statements(captured)


def test_a_transition_locks_then_writes_everything_in_a_second_statement(ready, cast):
    done = start_site_visit(ready, cast.manager)

    assert len(done) == 2, done
    lock, written = done
    assert lock.startswith("SELECT")
    assert "FOR UPDATE OF" in lock
    # The loan's changed fields, the timers of the stage left stopped and the new stage's
    # started, the event appended and its chain's seal moved: one statement, each write a part.
    assert written.startswith('WITH write_0 AS (UPDATE "loans_loan"')
    parts = [
        'write_1 AS (UPDATE "workflow_timer"',
        'write_2 AS (INSERT INTO "workflow_timer"',
        'write_3 AS (INSERT INTO "workflow_chainseal"',
        'write_4 AS (INSERT INTO "workflow_auditevent"',
    ]
    assert all(part in written for part in parts), written

    loan = ready
    running = Timer.objects.filter(object_id=loan.pk, stopped_at=None)
    assert list(running.values_list("stage", flat=True)) == [LoanState.SITE_VISIT]
    event = events_of(loan).last()
    seal = ChainSeal.objects.get(chain=Chain.EVENTS, object_id=loan.pk)
    assert (seal.last_seq, seal.last_hash) == (event.seq, event.hash)
    assert verification.authentic(seal)


def test_every_step_of_the_happy_path_stays_within_ten_statements(ready, cast):
    loan = ready
    counted = {}
    while loan.state != LoanState.CLOSED:
        name, part, payload = forward_step(loan)
        loan = prepare_to_leave(loan, cast)
        with CaptureQueriesContext(connection) as captured:
            loan = perform_transition(
                loan, name, actor=getattr(cast, part), payload=payload, channel=Channel.SYSTEM
            )
        counted[name] = len(statements(captured))

    assert all(n <= 10 for n in counted.values()), counted
    # ``disburse`` also pays the drawdowns and makes the schedule (its version and instalments).
    assert counted["disburse"] <= 9, counted


def test_effects_that_keep_the_facts_leave_the_audit_snapshot_true(ready, cast):
    """``disburse``'s effects (payment, schedule) are marked as keeping the file's facts, so its
    audit snapshot uses the facts read with the lock: they must equal a fresh read."""
    from loans.models import Loan
    from loans.selectors import loan_snapshot

    loan = ready
    while loan.state != LoanState.POST_LOAN:
        name, part, payload = forward_step(loan)
        loan = prepare_to_leave(loan, cast)
        loan = perform_transition(
            loan, name, actor=getattr(cast, part), payload=payload, channel=Channel.SYSTEM
        )

    event = events_of(loan).last()
    assert event.action == "disburse"
    assert event.snapshot == loan_snapshot(Loan.objects.get(pk=loan.pk))


def test_a_refusal_reads_once_and_writes_its_deviation_chained_and_sealed(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)  # no interview
    assert cast.manager.roles

    with CaptureQueriesContext(connection) as captured, pytest.raises(TransitionRefused):
        perform_transition(loan, "start_site_visit", actor=cast.manager)

    done = statements(captured)
    assert len(done) == 3, done
    read, claim, record = done
    assert read.startswith("SELECT")
    assert claim.startswith('INSERT INTO "workflow_chainseal"')  # claim the chain's head
    # The deviation is inserted and its chain's seal moved, in one statement.
    assert record.startswith('WITH write_0 AS (INSERT INTO "workflow_chainseal"')
    assert 'INSERT INTO "workflow_deviation"' in record


def test_the_statements_do_not_grow_with_the_file_or_the_branch(cast, product):
    few = factories.LoanFactory(account_manager=cast.manager, product=product)
    few_counted = len(start_site_visit(prepare_to_leave(few, cast), cast.manager))

    for _ in range(15):  # a busy branch, with audit trails of its own
        other = factories.LoanFactory(account_manager=cast.manager, product=product)
        advance(other, LoanState.SITE_VISIT, cast)
    many = factories.LoanFactory(account_manager=cast.manager, product=product)
    many = prepare_to_leave(many, cast)
    for number in range(6):  # and a thicker file
        act(
            many,
            "interview_record",
            cast.manager,
            held_at=timezone.now(),
            location=f"office {number}",
            notes="Interviewed again face to face.",
        )

    assert len(start_site_visit(many, cast.manager)) == few_counted


# --- the sweep ---------------------------------------------------------------------------------


@pytest.fixture
def _tasks_run_in_process():
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=eager)


def loans_falling_due(count, cast, product):
    """``count`` loans whose intake timer has its reminder and its due date passed."""
    loans = [
        factories.LoanFactory(account_manager=cast.manager, product=product) for _ in range(count)
    ]
    for loan in loans:
        timers.start_initial(loan)
    return loans


def sweep_statements(moment) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        handled = timers.sweep(now=moment)
    return handled, len(statements(captured))


@pytest.mark.usefixtures("_tasks_run_in_process")
def test_the_sweep_handles_a_set_of_due_timers_in_a_fixed_number_of_statements(cast, product):
    later = timezone.now() + timedelta(days=30)
    loans_falling_due(3, cast, product)
    with time_machine.travel(later, tick=False):
        few_handled, few = sweep_statements(later)
    loans_falling_due(12, cast, product)
    with time_machine.travel(later + timedelta(days=1), tick=False):
        many_handled, many = sweep_statements(later + timedelta(days=1))

    assert (few_handled, many_handled) == (3, 12)
    assert many == few
    assert many / many_handled <= 3
    lateness = Deviation.objects.filter(kind=Deviation.Kind.SLA_OVERDUE)
    assert lateness.count() == 15
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 15
    # written as a set, the lateness deviations are chained and sealed like any other
    for deviation in lateness:
        assert (deviation.seq, deviation.prev_hash) == (1, GENESIS_HASH)
        assert deviation.hash == deviation_hash(deviation)
        seal = ChainSeal.objects.get(
            chain=Chain.DEVIATIONS,
            content_type_id=deviation.content_type_id,
            object_id=deviation.object_id,
        )
        assert (seal.last_seq, seal.last_hash) == (1, deviation.hash)
        assert verification.authentic(seal)
    assert not Timer.objects.filter(stopped_at=None, next_action_at__lte=later).exists()


def test_deviations_written_as_a_set_chain_in_order_within_one_object(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    late = Decision(
        name="", source=loan.state, spec=None, role=None, results=(), refusal="sla_overdue"
    )
    first, second = (
        deviation_for(process_for(loan), loan, late, None, {"n": n}, Channel.SYSTEM) for n in (1, 2)
    )

    with CaptureQueriesContext(connection) as captured:
        chain_and_save([first, second])

    assert len(statements(captured)) == 2
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == deviation_hash(Deviation.objects.get(pk=second.pk))
    seal = ChainSeal.objects.get(chain=Chain.DEVIATIONS, object_id=loan.pk)
    assert (seal.last_seq, seal.last_hash) == (2, second.hash)
    assert verification.authentic(seal)
