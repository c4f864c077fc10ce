"""Early warning: each signal of watch/rules.py opens exactly one watch-list item on its event and
none on the others; evaluating again (the step's follow-up delivered twice, the daily task run
twice) opens nothing more."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from config.celery_app import app
from loans import services
from loans.choices import RiskClass
from loans.journeys import act, advance
from loans.services.applications import blocked_borrower_add
from loans.states import LoanState
from tests import factories
from watch import tasks
from watch.models import WatchItem
from watch.states import OPENED
from workflow import outbox, timers
from workflow.audit import events_of, verify_chain
from workflow.engine import perform_transition
from workflow.models import OutboxMessage
from workflow.timers import running

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """The relay hands the follow-ups to Celery; here they run at once, whatever REDIS_URL says."""
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=eager)


def inspect(loan, manager, *, funds=True, proposed=None):
    return act(
        loan,
        "inspection_record",
        manager,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Visited the shop; stock and books seen.",
        funds_used_as_stated=funds,
        proposed_class=proposed,
    )


def send_back(loan, manager):
    return perform_transition(
        loan,
        "return_to_intake",
        actor=manager,
        payload={"reason": "missing_documents", "comment": "Lease contract missing."},
    )


def relay_all() -> None:
    """Deliver every follow-up the outbox holds (the tasks run in-process without a broker)."""
    while outbox.relay():
        pass


def opened_signals(before: set[int]) -> Counter[str]:
    return Counter(WatchItem.objects.exclude(pk__in=before).values_list("signal", flat=True))


@dataclass(frozen=True)
class Case:
    signal: str
    state: LoanState
    event: Callable[..., object]
    prepare: Callable[..., object] = lambda loan, cast: None


def _returned_twice_prepare(loan, cast):
    send_back(loan, cast.manager)
    advance(fresh(loan), LoanState.SITE_VISIT, cast)


def fresh(loan):
    return type(loan).objects.get(pk=loan.pk)


def _late_inspection(loan, cast):
    (timer,) = running(loan).filter(kind="inspection")
    with time_machine.travel(timer.due_at + timedelta(hours=1), tick=False):
        timers.sweep()
        relay_all()


def _cheap_concentration_policy(loan, cast):
    factories.PolicyVersionFactory(concentration_min_portfolio=Decimal(0))


def _listed(loan, cast):
    blocked_borrower_add(
        id_number=loan.borrower.id_number,
        name=loan.borrower.name,
        reason="Court enforcement order received.",
        added_by=cast.approver,
    )


CASES = [
    Case(
        "funds_not_as_stated",
        LoanState.POST_LOAN,
        lambda loan, cast: inspect(loan, cast.manager, funds=False),
    ),
    Case(
        "downgrade",
        LoanState.POST_LOAN,
        lambda loan, cast: inspect(loan, cast.manager, proposed=RiskClass.SUBSTANDARD),
    ),
    Case(
        "days_past_due",
        LoanState.POST_LOAN,
        lambda loan, cast: services.days_past_due_update(loan=loan, days_past_due=5),
        # Already special mention: the arrears' floor changes nothing, so no downgrade with it.
        prepare=lambda loan, cast: inspect(loan, cast.manager, proposed=RiskClass.SPECIAL_MENTION),
    ),
    Case("inspection_overdue", LoanState.POST_LOAN, _late_inspection),
    Case(
        "returned_repeatedly",
        LoanState.SITE_VISIT,
        lambda loan, cast: send_back(loan, cast.manager),
        prepare=_returned_twice_prepare,
    ),
    # Not a step of the loan: the daily task finds them.
    Case("blocked_after_disbursement", LoanState.POST_LOAN, _listed),
    Case("concentration_breach", LoanState.POST_LOAN, _cheap_concentration_policy),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.signal)
def test_each_signal_opens_one_item_on_its_event_and_nothing_more_when_evaluated_again(
    case, loan, cast
):
    loan = advance(loan, case.state, cast)
    case.prepare(loan, cast)
    relay_all()
    tasks.evaluate_signals()
    before = set(WatchItem.objects.values_list("pk", flat=True))

    case.event(fresh(loan), cast)
    relay_all()
    tasks.evaluate_signals()

    opened = opened_signals(before)
    if case.signal == "concentration_breach":  # the branch's one loan: its industry and guarantee
        assert opened == Counter({"concentration_breach": 2})
    else:
        assert opened == Counter({case.signal: 1})
    item = WatchItem.objects.exclude(pk__in=before).first()
    assert (item.loan_id, item.account_manager, item.state) == (loan.pk, cast.manager, "open")

    # Evaluated again: the follow-ups delivered twice, the daily task twice.
    for message in OutboxMessage.objects.filter(task="watch.tasks.evaluate_after_step"):
        tasks.evaluate_after_step(*message.args)
    tasks.evaluate_signals()
    assert opened_signals(before) == opened


def test_an_item_opens_with_its_sla_timer_and_the_first_event_of_its_own_chain(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    inspect(loan, cast.manager, funds=False)
    relay_all()

    item = WatchItem.objects.get(signal="funds_not_as_stated")
    (timer,) = running(item)
    assert timer.due_at == item.due_at > item.opened_at
    assert timer.escalate_at > timer.due_at > timer.remind_at
    events = list(events_of(item))
    assert [e.action for e in events] == [OPENED]
    assert events[0].payload["signal"] == "funds_not_as_stated"
    assert verify_chain(events_of(item)).intact
    assert item.facts == {"inspected_on": timezone.localdate().isoformat()}


def test_an_arrears_episode_opens_one_item_while_it_lasts(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    services.days_past_due_update(loan=loan, days_past_due=5)
    relay_all()
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.days_past_due_update(loan=loan, days_past_due=6)  # the same episode, a day on
        services.days_past_due_update(loan=loan, days_past_due=2)  # part paid: a later first day
        relay_all()
        tasks.evaluate_signals()
    assert WatchItem.objects.filter(signal="days_past_due").count() == 1


def test_only_the_steps_that_can_raise_a_signal_queue_an_evaluation(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    OutboxMessage.objects.all().delete()
    inspect(loan, cast.manager)  # may raise one; funds as stated, no class proposed: raises none
    relay_all()
    assert WatchItem.objects.count() == 0
    assert list(OutboxMessage.objects.values_list("task", flat=True)) == [
        "watch.tasks.evaluate_after_step"
    ]
    act(loan, "repayment_record", cast.officer, principal=Decimal("100.00"), paid_at=timezone.now())
    # A repayment raises no signal: nothing more is queued.
    assert OutboxMessage.objects.filter(task="watch.tasks.evaluate_after_step").count() == 1


def test_the_daily_task_runs_after_the_days_past_due_and_the_collections(settings):
    assert settings.DAILY_TASKS[-1] == "watch.tasks.evaluate_signals"
    beat = settings.CELERY_BEAT_SCHEDULE["daily-watch.tasks.evaluate_signals"]["schedule"]
    assert (beat.hour, beat.minute) == ({1}, {20})  # after 00:20, 00:40 and 01:00
