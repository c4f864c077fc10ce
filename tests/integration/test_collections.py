"""Collections, the second process on the engine: the daily opener, the case's steps with the
right people, and every refused step recorded as a deviation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from loans import services as loan_services
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from recovery.models import CollectionCase
from recovery.selectors import cases_visible_to
from recovery.services import collection_cases_open
from recovery.states import CaseState
from tests import factories
from workflow.actions import perform_action
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Channel, Deviation, Timer
from workflow.timers import running

pytestmark = pytest.mark.django_db


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


@pytest.fixture
def second_approver(branch):
    return factories.staff(Role.APPROVER, branch=branch, username="approver3b", authority_level=3)


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


def in_arrears(loan, days):
    return loan_services.days_past_due_update(loan=loan, days_past_due=days)


@pytest.fixture
def case(disbursed):
    in_arrears(disbursed, 400)  # loss class
    (opened,) = collection_cases_open()
    return opened


def contact(case, actor, *, reached=True):
    return perform_action(
        case,
        "contact_log",
        actor=actor,
        data={
            "contacted_at": timezone.now(),
            "channel": "phone",
            "reached": reached,
            "notes": "Borrower answered; harvest sold late.",
        },
    )


def step(case, name, actor, **payload):
    return perform_transition(case, name, actor=actor, payload=payload)


def refused(call):
    with pytest.raises(TransitionRefused) as caught:
        call()
    deviation = Deviation.objects.get(pk=caught.value.deviation.pk)
    assert deviation.content_type.model == "collectioncase"
    return deviation


WHY = {"comment": "No income since the flood; nothing to recover."}


# --- the opener --------------------------------------------------------------------------------


def test_a_loan_past_the_policy_days_opens_one_case_with_a_system_event(disbursed):
    in_arrears(disbursed, 91)

    (case,) = collection_cases_open()

    assert case.state == CaseState.OPEN
    assert case.loan == disbursed
    assert case.days_past_due_at_opening == 91
    (event,) = events_of(case)
    assert event.action == "case_opened"
    assert event.channel == Channel.SYSTEM
    assert event.actor is None
    assert event.payload["collection_after_days"] == 90
    assert running(case).filter(kind=Timer.Kind.STAGE, stage=CaseState.OPEN).exists()


def test_the_opener_is_idempotent(disbursed):
    in_arrears(disbursed, 120)

    first = collection_cases_open()
    second = collection_cases_open()

    assert len(first) == 1
    assert second == []
    assert CollectionCase.objects.count() == 1
    assert len(events_of(first[0])) == 1


def test_a_loan_at_the_threshold_opens_no_case(disbursed):
    in_arrears(disbursed, 90)

    assert collection_cases_open() == []


def test_the_threshold_is_policy(disbursed):
    factories.PolicyVersionFactory(
        version="short", effective_from=timezone.now() - timedelta(days=1), collection_after_days=30
    )
    in_arrears(disbursed, 31)

    assert len(collection_cases_open()) == 1


# --- the steps ---------------------------------------------------------------------------------


def test_a_case_goes_from_open_to_written_off_with_the_right_people(
    case, manager, approver, second_approver, head
):
    contact(case, manager)
    step(case, "mark_contacted", manager)
    step(case, "propose_write_off", manager, **WHY)
    perform_action(case, "write_off_endorse", actor=approver, data={"note": "Agreed, loss."})
    perform_action(case, "write_off_endorse", actor=second_approver, data={"note": "Agreed too."})
    case = step(case, "write_off", head, **WHY)

    assert CollectionCase.objects.get(pk=case.pk).state == CaseState.WRITTEN_OFF
    actions = [event.action for event in events_of(case)]
    assert actions == [
        "case_opened",
        "contact_log",
        "mark_contacted",
        "propose_write_off",
        "write_off_endorse",
        "write_off_endorse",
        "write_off",
    ]
    assert verify_chain(events_of(case)).intact
    assert not Deviation.objects.exists()
    assert not running(case).exists()


def test_a_promise_kept_resolves_the_case(case, manager):
    contact(case, manager)
    promised = timezone.localdate() + timedelta(days=7)
    step(case, "take_promise", manager, promised_amount="5000.00", promised_date=str(promised))
    stored = CollectionCase.objects.get(pk=case.pk)
    assert stored.promised_date == promised
    timer = running(case).get()
    assert timezone.localtime(timer.due_at).date() == promised + timedelta(days=1)

    in_arrears(case.loan, 400)  # the core system's figure; repaid arrears come back as 0 later
    with pytest.raises(TransitionRefused):
        step(case, "resolve", manager)


# --- every refused step is a deviation ---------------------------------------------------------


def test_a_promise_before_any_contact_is_a_deviation(case, manager):
    deviation = refused(
        lambda: step(
            case,
            "take_promise",
            manager,
            promised_amount="100",
            promised_date=str(timezone.localdate()),
        )
    )

    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert [c["code"] for c in deviation.failed_checks] == ["contact_logged"]


def test_a_contact_that_did_not_reach_the_borrower_allows_no_promise(case, manager):
    contact(case, manager, reached=False)

    deviation = refused(lambda: step(case, "mark_contacted", manager))

    assert [c["code"] for c in deviation.failed_checks] == ["contact_logged"]


def test_a_wrong_role_is_a_deviation(case, approver):
    deviation = refused(lambda: contact(case, approver))

    assert deviation.kind == Deviation.Kind.WRONG_ROLE


def test_another_account_manager_is_a_deviation(case, co_investigator):
    deviation = refused(lambda: contact(case, co_investigator))

    assert deviation.kind == Deviation.Kind.WRONG_PERSON


def test_a_write_off_proposal_without_the_loss_class_is_a_deviation(disbursed, manager):
    in_arrears(disbursed, 200)  # substandard
    (case,) = collection_cases_open()
    contact(case, manager)
    step(case, "mark_contacted", manager)

    deviation = refused(lambda: step(case, "propose_write_off", manager, **WHY))

    assert [c["code"] for c in deviation.failed_checks] == ["loan_in_loss_class"]
    assert CollectionCase.objects.get(pk=case.pk).state == CaseState.CONTACTED


@pytest.fixture
def proposed(case, manager):
    contact(case, manager)
    step(case, "mark_contacted", manager)
    return step(case, "propose_write_off", manager, **WHY)


def test_the_same_approver_endorsing_twice_is_a_deviation(proposed, approver, head):
    perform_action(proposed, "write_off_endorse", actor=approver, data={"note": "Agreed, loss."})

    deviation = refused(
        lambda: perform_action(
            proposed, "write_off_endorse", actor=approver, data={"note": "Agreed again."}
        )
    )

    assert deviation.kind == Deviation.Kind.WRONG_PERSON
    assert [c["code"] for c in deviation.failed_checks] == ["endorser_not_repeated"]
    second = refused(lambda: step(proposed, "write_off", head, **WHY))
    assert [c["code"] for c in second.failed_checks] == ["two_endorsements"]


def test_an_approver_below_the_top_level_cannot_endorse(proposed, junior_approver):
    deviation = refused(
        lambda: perform_action(
            proposed, "write_off_endorse", actor=junior_approver, data={"note": "Agreed, loss."}
        )
    )

    assert [c["code"] for c in deviation.failed_checks] == ["top_level_approver"]


def test_a_branch_head_who_endorsed_cannot_also_write_off(proposed, branch, approver):
    both = factories.staff(
        Role.BRANCH_HEAD, Role.APPROVER, branch=branch, username="headapprover", authority_level=3
    )
    perform_action(proposed, "write_off_endorse", actor=approver, data={"note": "Agreed, loss."})
    perform_action(proposed, "write_off_endorse", actor=both, data={"note": "Agreed as well."})

    deviation = refused(lambda: step(proposed, "write_off", both, **WHY))

    assert deviation.kind == Deviation.Kind.WRONG_PERSON
    assert [c["code"] for c in deviation.failed_checks] == ["head_not_endorser"]


def test_other_branches_never_see_the_case(case, outsider, manager):
    assert list(cases_visible_to(outsider)) == []
    assert list(cases_visible_to(manager)) == [case]

    deviation = refused(lambda: contact(case, outsider))
    assert deviation.kind == Deviation.Kind.OUT_OF_SCOPE


# --- time ------------------------------------------------------------------------------------


def test_the_case_timers_remind_count_lateness_and_escalate(case, manager, branch):
    from workflow import timers
    from workflow.models import Notification

    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    timer = running(case).get()

    timers.sweep(now=timer.escalate_at + timedelta(minutes=1))

    reminded = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert reminded.recipient == manager
    late = Deviation.objects.get(kind=Deviation.Kind.SLA_OVERDUE)
    assert (late.object_id, late.from_state) == (case.pk, CaseState.OPEN)
    assert Notification.objects.get(kind=Notification.Kind.ESCALATION).recipient == head


def test_beat_and_the_demo_scheduler_run_the_opener_daily(disbursed, settings):
    from io import StringIO

    from workflow.management.commands.run_scheduler import Command

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "recovery.tasks.open_collection_cases" in scheduled
    assert settings.CELERY_TASK_ROUTES["recovery.tasks.open_collection_cases"] == {
        "queue": "sweeps"
    }
    in_arrears(disbursed, 100)
    # the opener alone: the days-past-due refresh before it would recompute the figure set by
    # hand from the loan's schedule, on which nothing is due yet
    settings.DAILY_TASKS = ["recovery.tasks.open_collection_cases"]

    Command(stdout=StringIO()).run_daily_tasks()
    Command(stdout=StringIO()).run_daily_tasks()

    assert CollectionCase.objects.filter(loan=disbursed).count() == 1
