"""The loans waiting and stalled now: counted by the hourly task per office, product, account
manager and stage (``StageNow``), equal to a count of the running stage timers at that moment for
every filter, rebuilt the same by the backfill; the fifty longest stalled read live."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from insight.process import process_figures
from insight.process_aggregate import process_refresh
from insight.process_filters import Filters
from insight.process_models import StageNow
from insight.process_now import running_timers, waiting_now
from insight.scope import scope_for
from loans.roles import Role
from loans.states import LoanState as S
from tests import factories
from tests.integration.insight.process_data import in_state, running_timer
from workflow.models import Timer

pytestmark = pytest.mark.django_db
ROWS = ("branch_id", "product_key", "person_key", "stage", "waiting", "stalled")


def period(**filters):
    today = timezone.localdate()
    return Filters(since=today - timedelta(days=20), until=today, **filters)


def live(scope, filters):
    """What the page counted per request before: the running stage timers themselves."""
    now = timezone.now()
    rows = list(running_timers(scope, filters).values_list("stage", "due_at"))
    return (
        Counter(stage for stage, _due in rows),
        Counter(stage for stage, due in rows if due < now),
    )


@pytest.fixture
def waiting(branch, other_branch, manager, product):
    """Five loans waiting in the head's offices (three past their deadline), one in a sub-office
    with its own manager and product; one whose stage timer stopped; one in another branch."""
    now = timezone.now()
    sub = factories.BranchFactory(code="B91", name="Sub-office", parent=branch)
    sub_manager = factories.staff(Role.ACCOUNT_MANAGER, branch=sub, username="m91")
    stranger = factories.staff(Role.ACCOUNT_MANAGER, branch=other_branch, username="m92")
    other = factories.LoanProductFactory(code="OTHER")
    for owner, kind, state, due_in in (
        (manager, product, S.REVIEW, timedelta(days=2)),
        (manager, product, S.REVIEW, -timedelta(days=1)),
        (manager, other, S.SITE_VISIT, -timedelta(days=3)),
        (sub_manager, product, S.APPROVAL, timedelta(days=1)),
        (sub_manager, other, S.APPROVAL, -timedelta(days=2)),
        (stranger, product, S.REVIEW, -timedelta(days=5)),
    ):
        loan = in_state(owner, kind, state)
        running_timer(loan, state, started=now - timedelta(days=6), due=now + due_in)
    left = in_state(manager, product, S.APPROVAL)
    stopped = running_timer(left, S.REVIEW, started=now - timedelta(days=9), due=now)
    Timer.objects.filter(pk=stopped.pk).update(stopped_at=now - timedelta(days=1))
    return {"sub": sub, "sub_manager": sub_manager, "other": other}


def test_the_hourly_count_equals_the_running_timers_for_every_filter(
    head, manager, product, waiting
):
    process_refresh()
    tree, office = scope_for(head), scope_for(head, tree=False)
    cases = [
        (tree, period()),
        (office, period()),
        (tree, period(person=manager.pk)),
        (tree, period(person=waiting["sub_manager"].pk)),
        (tree, period(product=product.pk)),
        (tree, period(product=waiting["other"].pk, person=manager.pk)),
    ]

    for scope, filters in cases:
        counted = waiting_now(scope, filters)
        assert (+counted.waiting, +counted.stalled) == live(scope, filters)
    everyone = waiting_now(tree, period())
    assert everyone.waiting == {S.REVIEW: 2, S.SITE_VISIT: 1, S.APPROVAL: 2}
    assert everyone.stalled == {S.REVIEW: 1, S.SITE_VISIT: 1, S.APPROVAL: 1}
    assert waiting_now(tree, period(person=manager.pk)).waiting == {S.REVIEW: 2, S.SITE_VISIT: 1}


def test_a_loan_that_stalls_is_listed_at_once_and_counted_at_the_next_hourly_run(
    head, manager, product
):
    now = timezone.now()
    loan = in_state(manager, product, S.REVIEW)
    timer = running_timer(
        loan, S.REVIEW, started=now - timedelta(days=2), due=now + timedelta(days=1)
    )
    process_refresh()
    counted_at = StageNow.objects.get().counted_at
    Timer.objects.filter(pk=timer.pk).update(due_at=now - timedelta(days=2))  # the deadline passes

    before = process_figures(scope_for(head), period(person=manager.pk))
    assert [stalled.loan for stalled in before.stalled] == [loan]
    assert before.stalled[0].days_late == 2
    assert (before.stalled_count, before.counted_at) == (0, counted_at)

    process_refresh()
    after = process_figures(scope_for(head), period(person=manager.pk))
    assert after.stalled_count == 1
    assert after.counted_at > counted_at


def test_the_count_is_replaced_whole_at_each_run(head, manager, product, waiting):
    process_refresh()
    Timer.objects.filter(stopped_at__isnull=True).update(stopped_at=timezone.now())

    assert waiting_now(scope_for(head), period()).waiting
    process_refresh()
    assert not StageNow.objects.exists()
    assert waiting_now(scope_for(head), period()).waiting == {}


def test_before_the_first_count_nothing_is_counted_and_no_moment_is_given(head, waiting):
    counted = waiting_now(scope_for(head), period())

    assert (counted.counted_at, counted.waiting, counted.stalled) == (None, {}, {})


def test_the_backfill_counts_what_the_hourly_task_counts(waiting):
    process_refresh()
    hourly = sorted(StageNow.objects.values_list(*ROWS))
    StageNow.objects.all().delete()

    call_command("backfill_process", stdout=io.StringIO())

    assert sorted(StageNow.objects.values_list(*ROWS)) == hourly
    assert len(hourly) == 5  # four cells in the head's offices, one in the other branch
    assert StageNow.objects.values("counted_at").distinct().count() == 1
