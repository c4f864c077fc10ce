"""The watch list, a process on the engine: an item is worked by its account manager (or the
branch head), resolved only with a note of what was done, escalated when late, every step in the
item's own audit chain; a manager sees only their own items."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery_app import app
from loans.roles import Role
from tests import factories
from watch.models import WatchItem
from watch.rules import SIGNAL_BY_CODE, Occurrence
from watch.selectors import items_visible_to
from watch.services import item_open
from watch.states import ESCALATED, OPENED, ItemState
from workflow import outbox, timers
from workflow.actions import perform_action
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation, Notification
from workflow.timers import running

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """The relay hands the follow-ups to Celery; here they run at once, whatever REDIS_URL says."""
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=eager)


DONE = "Visited the borrower; invoices for the stock seen and copied."


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


def open_item(loan, key="funds_not_as_stated:1", signal="funds_not_as_stated"):
    return item_open(
        signal=SIGNAL_BY_CODE[signal],
        occurrence=Occurrence(loan.pk, key, {"inspected_on": "2026-11-02"}),
        loan=loan,
        now=timezone.now(),
    )


@pytest.fixture
def item(loan):
    return open_item(loan)


def test_resolving_without_a_note_is_refused_and_recorded_as_a_deviation(item, manager):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(item, "resolve", actor=manager, payload={"note": "ok"})
    deviation = Deviation.objects.get(pk=refused.value.deviation.pk)
    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert [r.code for r in refused.value.failed] == ["watch_action_noted"]
    assert deviation.content_type.model == "watchitem"
    assert WatchItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_the_owner_resolves_with_a_note_and_each_step_joins_the_items_chain(item, manager):
    perform_action(item, "watch_note", actor=manager, data={"note": "Called the borrower."})
    resolved = perform_transition(item, "resolve", actor=manager, payload={"note": DONE})

    assert (resolved.state, resolved.resolved_at is not None) == (ItemState.RESOLVED, True)
    assert [(n.text, n.resolves) for n in resolved.notes.all()] == [
        ("Called the borrower.", False),
        (DONE, True),
    ]
    assert [e.action for e in events_of(item)] == [OPENED, "watch_note", "resolve"]
    assert verify_chain(events_of(item)).intact
    assert not running(item).exists()  # the SLA stops with the item


def test_another_manager_of_the_branch_may_not_work_the_item_and_is_recorded(item, co_investigator):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(item, "resolve", actor=co_investigator, payload={"note": DONE})
    assert refused.value.deviation.kind == Deviation.Kind.WRONG_PERSON


def test_the_branch_head_may_resolve_an_item_of_the_branch(item, head):
    assert perform_transition(item, "resolve", actor=head, payload={"note": DONE}).state == (
        ItemState.RESOLVED
    )


def test_a_manager_sees_only_their_own_items_the_head_and_compliance_all(
    loan, manager, co_investigator, head, compliance, outsider, product
):
    mine = open_item(loan)
    theirs = open_item(
        factories.LoanFactory(account_manager=co_investigator, product=product), key="other:1"
    )
    assert list(items_visible_to(manager)) == [mine]
    assert list(items_visible_to(co_investigator)) == [theirs]
    assert set(items_visible_to(head)) == {mine, theirs}
    assert set(items_visible_to(compliance)) == {mine, theirs}
    assert list(items_visible_to(outsider)) == []


def test_a_late_item_is_recorded_overdue_and_escalated_to_the_branch_head_once(item, head):
    (timer,) = running(item)
    with time_machine.travel(timer.escalate_at + timedelta(hours=1), tick=False):
        timers.sweep()
        outbox.relay()
        timers.sweep()
        outbox.relay()

    escalations = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert [n.recipient for n in escalations] == [head]
    late = Deviation.objects.get(object_id=item.pk, content_type__model="watchitem")
    assert late.kind == Deviation.Kind.SLA_OVERDUE
    assert [e.action for e in events_of(item)] == [OPENED, ESCALATED]
    assert verify_chain(events_of(item)).intact


def test_the_manager_reminded_before_the_due_date(item, manager):
    (timer,) = running(item)
    with time_machine.travel(timer.remind_at + timedelta(minutes=1), tick=False):
        timers.sweep()
    assert [n.recipient for n in Notification.objects.filter(kind="reminder")] == [manager]


# --- the pages ----------------------------------------------------------------------------------


def test_the_manager_lists_their_items_with_the_count_in_the_navigation(client, item, manager):
    client.force_login(manager)
    page = client.get(reverse("watch:list"))
    assert page.status_code == 200
    assert str(page.context["watch_counts"].open) == "1"
    assert 'data-testid="nav-watch"' in page.text
    assert "Funds not used as stated" in page.text
    assert "funds_not_as_stated</td>" not in page.text  # words, not codes


def test_another_manager_gets_no_page_of_an_item_not_theirs(client, item, co_investigator):
    client.force_login(co_investigator)
    assert client.get(reverse("watch:detail", args=[item.pk])).status_code == 404
    assert client.post(reverse("watch:resolve", args=[item.pk]), {"note": DONE}).status_code == 404
    assert WatchItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_the_head_filters_the_branch_items_by_manager_and_overdue(
    client, item, head, manager, co_investigator, product
):
    open_item(factories.LoanFactory(account_manager=co_investigator, product=product), key="x:1")
    client.force_login(head)
    everyone = client.get(reverse("watch:list"))
    assert len(everyone.context["rows"]) == 2
    one = client.get(reverse("watch:list"), {"state": "open", "manager": manager.pk})
    assert [row["item"] for row in one.context["rows"]] == [item]
    late = client.get(reverse("watch:list"), {"state": "open", "overdue": "on"})
    assert late.context["rows"] == []


def test_resolving_on_the_page_needs_the_note(client, item, manager):
    client.force_login(manager)
    client.post(reverse("watch:resolve", args=[item.pk]), {"note": ""})
    assert WatchItem.objects.get(pk=item.pk).state == ItemState.OPEN
    assert Deviation.objects.filter(content_type__model="watchitem").count() == 1
    client.post(reverse("watch:resolve", args=[item.pk]), {"note": DONE})
    assert WatchItem.objects.get(pk=item.pk).state == ItemState.RESOLVED


def test_the_loan_page_shows_its_items(client, item, manager):
    client.force_login(manager)
    page = client.get(reverse("loans:detail", args=[item.loan_id]))
    assert 'data-testid="watch-item"' in page.text


# --- the API ------------------------------------------------------------------------------------


def test_the_api_lists_a_managers_items_and_resolves_only_with_a_note(
    client, item, manager, co_investigator
):
    url = "/api/v1/insight/watch-list/"
    client.force_login(co_investigator)
    assert client.get(url).json()["results"] == []
    assert client.get(f"{url}{item.pk}/").status_code == 404

    client.force_login(manager)
    (row,) = client.get(url).json()["results"]
    assert (row["id"], row["signal"], row["title"]) == (
        item.pk,
        "funds_not_as_stated",
        "Funds not used as stated",
    )
    refused = client.post(f"{url}{item.pk}/resolve/", {}, content_type="application/json")
    assert refused.status_code == 409
    done = client.post(f"{url}{item.pk}/resolve/", {"note": DONE}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["state"] == "resolved"
    audit = client.get(f"{url}{item.pk}/audit/").json()["results"]
    assert [e["action"] for e in audit] == [OPENED, "resolve"]


def test_the_watch_list_is_in_the_openapi_schema(client, manager):
    client.force_login(manager)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/insight/watch-list/{id}/resolve/" in schema["paths"]
    assert "/api/v1/insight/watch-list/" in schema["paths"]


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_number_of_items(client, loan, head):
    open_item(loan, key="a:1")
    client.force_login(head)
    client.get(reverse("watch:list"))  # the session, the content types: read once
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("watch:list"))
    for n in range(2, 7):
        open_item(loan, key=f"a:{n}")
    with CaptureQueriesContext(connection) as six:
        page = client.get(reverse("watch:list"))
    assert len(page.context["rows"]) == 6
    assert len(six) == len(one)
