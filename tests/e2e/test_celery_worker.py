"""Reminders with a real Celery worker and a real Redis: once, after crashes and outages.

Each test runs its own Redis server and workers (never the shared ones) against the test
database, moves time by setting timers due, and asserts on the database and the e-mail files the
worker writes.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from config.celery_app import app
from loans.journeys import advance
from loans.models import Loan
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.e2e.processes import RedisServer, Worker, run_scheduler_once, wait_until
from workflow import timers
from workflow.models import Deviation, Notification, OutboxMessage, Timer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


@pytest.fixture
def worker(transactional_db, redis_server, mail_dir):
    started = Worker(redis_server.url, mail_dir)
    started.start()
    yield started
    started.stop()


@pytest.fixture
def reviewer_with_email(cast):
    cast.reviewer.email = "reviewer1@bank.test"
    cast.reviewer.save()
    return cast.reviewer


def publish(broker_url: str, task: str, *args) -> None:
    with app.connection_for_write(broker_url) as conn:
        app.send_task(task, args=list(args), connection=conn)


def emails_sent(mail_dir: Path) -> int:
    return sum(path.read_text().count("\nSubject: ") for path in mail_dir.glob("*.log"))


def make_due(loan, *, remind=True, overdue=False) -> Timer:
    """Move time for ``loan``'s stage timer: its reminder (and lateness) fall due now."""
    past = timezone.now() - timedelta(minutes=1)
    timer = timers.running(loan).get(kind=Timer.Kind.STAGE)
    if remind:
        timer.remind_at = past
    if overdue:
        timer.due_at = timer.escalate_at = past
    timer.refresh_next_action()
    timer.save()
    return timer


def test_a_reminder_is_delivered_once_even_when_beat_ticks_twice(
    worker, redis_server, mail_dir, cast, reviewer_with_email
):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    make_due(loan)

    publish(redis_server.url, "workflow.tasks.sweep_timers")
    publish(redis_server.url, "workflow.tasks.sweep_timers")

    wait_until(lambda: emails_sent(mail_dir) >= 1, what="the reminder e-mail")
    wait_until(
        lambda: sum("sweep_timers" in line and "succeeded" in line for line in worker.output) == 2,
        what="both sweeps",
    )
    (reminder,) = Notification.objects.all()
    assert (reminder.kind, reminder.recipient) == ("reminder", reviewer_with_email)
    assert reminder.emailed_at is not None
    assert emails_sent(mail_dir) == 1


def test_an_overdue_stage_yields_one_deviation_and_one_escalation(
    worker, redis_server, mail_dir, cast, branch
):
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1", email="h@bank.test")
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    make_due(loan, remind=False, overdue=True)

    for _tick in range(3):
        publish(redis_server.url, "workflow.tasks.sweep_timers")

    wait_until(
        lambda: Notification.objects.filter(kind="escalation", emailed_at__isnull=False).exists(),
        what="the escalation e-mail",
    )
    wait_until(
        lambda: sum("sweep_timers" in line and "succeeded" in line for line in worker.output) == 3,
        what="three sweeps",
    )
    assert Deviation.objects.filter(kind=Deviation.Kind.SLA_OVERDUE).count() == 1
    (escalation,) = Notification.objects.filter(kind="escalation")
    assert escalation.recipient == head


def _blocked_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            ["%workflow_notification%"],
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_task_leads_to_redelivery_and_still_one_email(
    worker, redis_server, mail_dir, cast, reviewer_with_email
):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    make_due(loan)
    timers.sweep()  # the reminder and its e-mail task are now in the outbox
    notification = Notification.objects.get()
    (message,) = OutboxMessage.objects.all()

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
    ) as blocker:
        # Hold the notification's row so the worker's task blocks half-way through.
        blocker.execute(
            "SELECT id FROM workflow_notification WHERE id = %s FOR UPDATE", [notification.pk]
        )
        publish(redis_server.url, message.task, *message.args)
        wait_until(_blocked_on_a_lock, what="the task to be under way")
        worker.kill()
        blocker.rollback()

    assert emails_sent(mail_dir) == 0
    replacement = Worker(redis_server.url, mail_dir, visibility_timeout=2)
    replacement.start()
    try:
        wait_until(lambda: emails_sent(mail_dir) >= 1, what="the redelivered task", timeout=60)
        time.sleep(1)
    finally:
        replacement.stop()

    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert Notification.objects.count() == 1
    assert emails_sent(mail_dir) == 1


def _advance_loans(cast, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    return time.perf_counter() - started


def test_with_redis_stopped_transitions_go_on_and_no_reminder_is_lost(
    worker, redis_server, mail_dir, cast, reviewer_with_email
):
    with_redis = _advance_loans(cast, 4)
    redis_server.stop()

    without_redis = _advance_loans(cast, 4)

    # The same work, measured in one run: an outage does not slow transitions down.
    assert without_redis < with_redis * 3 + 1
    loans = list(Loan.objects.filter(state=LoanState.REVIEW))
    assert len(loans) == 8
    for loan in loans:
        make_due(loan)
    run_scheduler_once(redis_server.url)  # beat cannot reach Redis; the sweep still runs
    assert Notification.objects.count() == 8
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 8  # waiting, not lost

    redis_server.start()  # a new, empty Redis on the same port
    run_scheduler_once(redis_server.url)

    wait_until(lambda: emails_sent(mail_dir) == 8, what="every pending reminder", timeout=60)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
