"""The engine's locked read is prepared on the server: PostgreSQL parses and plans it once per
connection, not on every step (workflow/prepared.py, docs/performance.md)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.sql import InsertQuery
from django.utils import timezone

from loans.journeys import prepare_to_leave
from loans.states import LoanState
from tests import factories
from workflow import timers, writes
from workflow.audit import CHAIN_HEAD, chain_head
from workflow.engine import lock, perform_transition
from workflow.models import Channel, Timer
from workflow.registry import process_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _policy_in_force(db):
    factories.PolicyVersionFactory()


def ready_loans(cast, product, count):
    return [
        prepare_to_leave(factories.LoanFactory(account_manager=cast.manager, product=product), cast)
        for _ in range(count)
    ]


def locked_reads_prepared() -> dict[str, tuple[int, int]]:
    """(generic plans, custom plans) of each locked read this connection holds prepared, by its
    statement's name (a locked read per set of facts read: the step's and the snapshot's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%FOR UPDATE OF%"],
        )
        return {name: (generic, custom) for name, generic, custom in cursor.fetchall()}


@contextmanager
def preparing(threshold):
    """The connection's ``prepare_threshold`` as DATABASE_PREPARED_STATEMENTS would set it."""
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = threshold
    try:
        yield
    finally:
        raw.prepare_threshold = before


def runs(prepared: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {name: generic + custom for name, (generic, custom) in prepared.items()}


def test_the_locked_read_is_prepared_once_and_reused_by_every_step(cast, product):
    loans = ready_loans(cast, product, 3)

    with preparing(5):
        before = locked_reads_prepared()
        for loan in loans:
            perform_transition(loan, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM)
        after = locked_reads_prepared()

    # One statement on the server, run once more by each step: parsed once, its plan kept.
    grown = {
        name: count - runs(before).get(name, 0)
        for name, count in runs(after).items()
        if count != runs(before).get(name, 0)
    }
    assert list(grown.values()) == [3], grown
    for loan in loans:
        loan.refresh_from_db()
        assert loan.state == LoanState.SITE_VISIT


def test_with_prepared_statements_turned_off_nothing_is_prepared_nor_run_prepared(cast, product):
    with preparing(None):
        [loan] = ready_loans(cast, product, 1)
        before = locked_reads_prepared()
        done = perform_transition(
            loan, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM
        )
        after = locked_reads_prepared()

    assert after == before
    assert done.state == LoanState.SITE_VISIT


def test_the_prepared_read_brings_what_the_queryset_would(cast, product):
    """The instance, its related rows and the facts of its file, as Django's own read of the
    same queryset brings them: on the first run and once the statement is prepared."""
    [loan] = ready_loans(cast, product, 1)
    at = timezone.now()
    model = type(loan)
    queryset = model._default_manager.select_for_update(of=("self",)).filter(pk=loan.pk)
    plain = (
        process_for(model)
        .locked_read(queryset, at)
        .annotate(**{CHAIN_HEAD: chain_head(model)})
        .get()
    )

    with preparing(5):
        reads = [lock(loan, at), lock(loan, at)]

    assert locked_reads_prepared()
    expected = {name: value for name, value in vars(plain).items() if name != "_state"}
    assert len(expected) > 40  # the loan's fields and the facts of its file
    for read in reads:
        assert {name: value for name, value in vars(read).items() if name != "_state"} == expected
        assert (read.borrower, read.product, read.branch) == (
            plain.borrower,
            plain.product,
            plain.branch,
        )


def test_the_read_sends_only_the_key_and_the_moment_the_rest_is_written_into_it(cast, product):
    """Constants a queryset holds (separators, JSON keys, choices) are literals of the prepared
    statement; only what changes from one step to the next is bound."""
    from loans.models import Loan
    from workflow.prepared import prepared_get, prepared_reads

    [loan] = ready_loans(cast, product, 1)
    Loan.objects.filter(pk=loan.pk).update(purpose="50% of it for 'stock'; the rest %s")
    at = timezone.now()

    def build(key, moment):
        return Loan.objects.filter(
            pk=key, purpose="50% of it for 'stock'; the rest %s", created_at__lte=moment
        )

    key = ("tests.inlined", connection.alias)
    found = prepared_get(loan.pk, at, key, build, using=connection.alias)
    missed = Loan.objects.filter(pk=loan.pk).update(purpose="other")
    prepared = prepared_reads(connection.alias)[key]

    assert found.pk == loan.pk
    assert missed == 1
    assert len(prepared.params) == 2  # the moment and the key
    assert "'50% of it for ''stock''; the rest %s'" in prepared.sql.replace("%%", "%")
    with pytest.raises(Loan.DoesNotExist):
        prepared_get(loan.pk, at, key, build, using=connection.alias)
    # the engine's
    locked_reads = [p for key, p in prepared_reads(connection.alias).items() if key[0] is Loan]
    assert locked_reads
    assert all(len(read.params) == 2 for read in locked_reads)


def test_the_steps_writes_are_prepared_too(cast, product):
    loans = ready_loans(cast, product, 2)

    with preparing(5):
        for loan in loans:
            perform_transition(loan, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM)
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [statement for (statement,) in cursor.fetchall()]

    # The step's writes are one statement (workflow.writes.at_once), prepared like its read.
    [written] = [s for s in prepared if s.startswith('WITH write_0 AS (UPDATE "loans_loan"')]
    assert 'SET "state" = $1' in written
    assert 'write_4 AS (INSERT INTO "workflow_auditevent"' in written


def test_an_insert_compiled_once_sends_what_django_compiles_for_other_rows(loan):
    at = timezone.now()
    plans = [
        timers.TimerPlan(Timer.Kind.STAGE, "intake", at + timedelta(days=3)),
        timers.TimerPlan(
            Timer.Kind.INSPECTION,
            "post_loan",
            at + timedelta(days=9),
            remind_at=at + timedelta(days=7),
            escalate_at=at + timedelta(days=11),
        ),
    ]
    first, second = (timers._new_timer(process_for(loan), loan, plan, at) for plan in plans)
    writes.insert([first], returning=True)  # compiled, and kept for the next row

    assert writes.insert([second], returning=True) == django_insert(second)


def django_insert(obj):
    fields = [f for f in Timer._meta.concrete_fields if not f.primary_key]
    query = InsertQuery(Timer)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler("default")
    compiler.returning_fields = [Timer._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def test_stopping_the_timers_compiled_once_is_the_update_django_compiles(loan):
    at = timezone.now()
    timers._stop_statement(loan, at, None)  # compiled, and kept

    again = timers._stop_statement(loan, at + timedelta(hours=1), None)

    expected = writes.update(
        timers.running(loan), stopped_at=at + timedelta(hours=1), next_action_at=None
    )
    assert again == expected
