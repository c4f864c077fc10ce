"""SLA timers, reminders, lateness, escalation and the inspection schedule, run in-process.

Time is moved with time-machine; the sweep runs as the Celery task would. The same behaviour with a
real worker and Redis is proven in tests/e2e/test_celery_worker.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery_app import app
from loans import services
from loans.journeys import act, advance, prepare_to_leave
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow import outbox, timers
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation, Holiday, Notification, OutboxMessage, Timer

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """The relay hands tasks to Celery; here they run at once, whatever REDIS_URL says."""
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=eager)


MONDAY_9AM = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def head(branch):
    return factories.staff(
        Role.BRANCH_HEAD, branch=branch, username="head1", email="head1@bank.test"
    )


def loan_in(state, cast, moment=MONDAY_9AM):
    """A loan applied for and brought to ``state`` at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return advance(factories.LoanFactory(account_manager=cast.manager), state, cast)


@pytest.fixture
def in_review(cast, head):
    """A loan that entered review on Monday 9:00: SLA 3 business days, reminder after 2."""
    cast.reviewer.email = "reviewer1@bank.test"
    cast.reviewer.save()
    return loan_in(LoanState.REVIEW, cast)


def stage_timer(loan) -> Timer:
    return timers.running(loan).get(kind=Timer.Kind.STAGE)


def sweep_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        handled = timers.sweep()
        outbox.relay()
    return handled


def test_entering_a_stage_starts_its_timer_in_business_days(in_review):
    timer = stage_timer(in_review)

    assert timer.stage == LoanState.REVIEW
    assert timer.remind_at == MONDAY_9AM + timedelta(days=2)  # Wednesday
    assert timer.due_at == MONDAY_9AM + timedelta(days=3)  # Thursday
    assert timer.escalate_at == MONDAY_9AM + timedelta(days=4)  # Friday


def test_a_holiday_moves_the_due_date(cast):
    Holiday.objects.create(date=date(2026, 11, 4), name="Bank holiday")

    loan = loan_in(LoanState.REVIEW, cast)

    assert stage_timer(loan).due_at == MONDAY_9AM + timedelta(days=4)  # Friday, not Thursday


def test_leaving_a_stage_stops_its_timer_and_starts_the_next(in_review, cast):
    review_timer = stage_timer(in_review)

    loan = perform_transition(
        prepare_to_leave(in_review, cast), "submit_for_approval", actor=cast.reviewer
    )

    review_timer.refresh_from_db()
    assert review_timer.stopped_at is not None
    assert review_timer.next_action_at is None
    assert stage_timer(loan).stage == LoanState.APPROVAL


def test_a_refused_transition_leaves_the_timers_as_they_were(in_review, cast):
    before = list(Timer.objects.values())

    with pytest.raises(TransitionRefused):
        perform_transition(in_review, "submit_for_approval", actor=cast.reviewer)

    assert list(Timer.objects.values()) == before


def test_nothing_happens_before_the_reminder_is_due(in_review):
    assert sweep_at(MONDAY_9AM + timedelta(days=1)) == 0
    assert not Notification.objects.exists()


def test_the_reminder_reaches_the_reviewers_once_even_if_the_sweep_runs_twice(in_review, cast):
    sweep_at(MONDAY_9AM + timedelta(days=2, minutes=1))
    sweep_at(MONDAY_9AM + timedelta(days=2, minutes=2))

    (reminder,) = Notification.objects.all()
    assert (reminder.kind, reminder.recipient) == (Notification.Kind.REMINDER, cast.reviewer)
    assert reminder.object_id == in_review.pk
    assert [m.to for m in mail.outbox] == [["reviewer1@bank.test"]]
    assert in_review.reference in mail.outbox[0].subject
    reminder.refresh_from_db()
    assert reminder.emailed_at is not None


def test_an_overdue_stage_yields_exactly_one_deviation_and_one_escalation(in_review, head):
    for minutes in (1, 2):
        sweep_at(MONDAY_9AM + timedelta(days=4, minutes=minutes))

    (late,) = Deviation.objects.filter(kind=Deviation.Kind.SLA_OVERDUE)
    assert (late.from_state, late.actor, late.channel) == ("review", None, "system")
    assert late.object_id == in_review.pk
    (escalation,) = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert escalation.recipient == head
    timer = stage_timer(in_review)
    assert timer.next_action_at is None  # everything done; the timer runs until the stage ends


def test_a_loan_that_moved_on_in_time_is_never_late(in_review, cast):
    with time_machine.travel(MONDAY_9AM + timedelta(hours=5), tick=False):
        perform_transition(
            prepare_to_leave(in_review, cast), "submit_for_approval", actor=cast.reviewer
        )

    sweep_at(MONDAY_9AM + timedelta(days=3, hours=1))

    assert not Deviation.objects.filter(
        kind=Deviation.Kind.SLA_OVERDUE, from_state="review"
    ).exists()
    assert not Notification.objects.filter(timer__stage="review").exists()


def test_the_sweep_reads_only_what_is_due(cast, product):
    """Its queries do not grow with the number of running timers that are not due."""
    for _ in range(3):
        loan_in(LoanState.SITE_VISIT, cast)

    with CaptureQueriesContext(connection) as few:
        timers.sweep(now=MONDAY_9AM + timedelta(hours=1))
    for _ in range(20):
        loan_in(LoanState.SITE_VISIT, cast)
    with CaptureQueriesContext(connection) as many:
        timers.sweep(now=MONDAY_9AM + timedelta(hours=1))

    assert len(many.captured_queries) == len(few.captured_queries)


def test_email_waits_in_the_outbox_until_relayed(in_review):
    with time_machine.travel(MONDAY_9AM + timedelta(days=2, minutes=1), tick=False):
        timers.sweep()

    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1
    assert mail.outbox == []
    assert outbox.relay() == 1
    assert len(mail.outbox) == 1
    assert outbox.relay() == 0


# --- the post-loan inspection schedule ---------------------------------------------------------


def inspection_timer(loan) -> Timer:
    return timers.running(loan).get(kind=Timer.Kind.INSPECTION)


def test_the_first_inspection_is_due_fifteen_days_after_disbursement(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)

    timer = inspection_timer(loan)
    assert timer.due_at == loan.disbursed_at + timedelta(days=15)
    assert timer.remind_at == timer.due_at - timedelta(days=3)


def test_after_an_inspection_the_next_follows_the_classification(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    first = act(
        loan,
        "inspection_record",
        cast.manager,
        kind="first",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Fine.",
        funds_used_as_stated=True,
    )
    assert inspection_timer(loan).due_at == first.inspected_at + timedelta(days=90)

    services.days_past_due_update(loan=loan, days_past_due=10)
    second = act(
        loan,
        "inspection_record",
        cast.manager,
        kind="routine",
        mode="off_site",
        inspected_at=timezone.now(),
        findings="Late payment, shop quiet.",
        funds_used_as_stated=True,
    )
    assert inspection_timer(loan).due_at == second.inspected_at + timedelta(days=30)
    assert timers.running(loan).filter(kind=Timer.Kind.INSPECTION).count() == 1


def test_an_overdue_inspection_is_a_deviation_and_escalates(loan, cast, head):
    loan = advance(loan, LoanState.POST_LOAN, cast)

    timers.sweep(now=loan.disbursed_at + timedelta(days=20))

    (late,) = Deviation.objects.filter(kind=Deviation.Kind.INSPECTION_OVERDUE)
    assert late.from_state == LoanState.POST_LOAN
    kinds = sorted(Notification.objects.values_list("kind", "recipient__username"))
    assert kinds == [("escalation", "head1"), ("reminder", "manager1")]


def test_a_new_application_starts_the_intake_timer(cast, product):
    borrower = factories.BorrowerFactory(branch=cast.manager.branch)
    with time_machine.travel(MONDAY_9AM, tick=False):
        loan = services.loan_create(
            borrower=borrower, account_manager=cast.manager, product=product
        )

    timer = stage_timer(loan)
    assert (timer.stage, timer.due_at) == ("intake", MONDAY_9AM + timedelta(days=3))
