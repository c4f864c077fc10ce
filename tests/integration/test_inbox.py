"""The task inbox: due date first (overdue leading), loans above an approver's authority apart,
the navigation's counts from one query, keyset paging past any fixed cap, constant queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans.inbox import inbox_counts
from loans.models import Loan
from loans.states import LoanState
from tests import factories
from workflow.models import Timer

pytestmark = pytest.mark.django_db


def in_stage(manager, state, count=1, *, amount=Decimal(50_000)):
    """``count`` loans of ``manager`` put straight into ``state`` (no stage timer yet)."""
    made = factories.LoanFactory.create_batch(count, account_manager=manager, amount=amount)
    Loan.objects.filter(pk__in=[loan.pk for loan in made]).update(state=state)
    return made


def due(loan, at):
    """A running stage timer for ``loan``, due ``at`` (reminding an hour before), and its due date
    on the loan, as the step that starts it keeps it (LoanProcess.on_entered)."""
    Loan.objects.filter(pk=loan.pk).update(stage_due_at=at)
    Timer.objects.create(
        content_type=ContentType.objects.get_for_model(Loan),
        object_id=loan.pk,
        kind=Timer.Kind.STAGE,
        stage=loan.state,
        started_at=at - timedelta(days=3),
        remind_at=at - timedelta(hours=1),
        due_at=at,
    )


def rows(response, key="loans"):
    return [loan.pk for loan in response.context[key]]


def test_the_queue_puts_overdue_loans_first_then_the_earliest_due(client, cast):
    now = timezone.now()
    later, no_timer, overdue, soon = in_stage(cast.manager, LoanState.REVIEW, 4)
    due(later, now + timedelta(days=5))
    due(overdue, now - timedelta(hours=2))
    due(soon, now + timedelta(minutes=30))
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:queue"))

    assert rows(response) == [overdue.pk, soon.pk, later.pk, no_timer.pk]
    page = response.content.decode()
    assert page.count('class="overdue"') == 1
    assert 'aria-sort="ascending"' in page  # the due date column says it sorts the list


def test_the_pipeline_columns_put_overdue_loans_first(client, manager):
    now = timezone.now()
    fine, overdue = in_stage(manager, LoanState.INTAKE, 2)
    due(fine, now + timedelta(days=1))
    due(overdue, now - timedelta(days=1))
    client.force_login(manager)

    response = client.get(reverse("loans:mine"))

    ((_stage, cards, _count, _more),) = [c for c in response.context["columns"] if c[0] == "intake"]
    assert [loan.pk for loan in cards] == [overdue.pk, fine.pk]


def test_loans_above_the_approvers_authority_are_apart_and_paged(
    client, cast, junior_approver, monkeypatch
):
    monkeypatch.setattr("loans.paging.PAGE_SIZE", 2)
    within = in_stage(cast.manager, LoanState.APPROVAL, 2, amount=Decimal(60_000))
    above = in_stage(cast.manager, LoanState.APPROVAL, 3, amount=Decimal(500_000))
    client.force_login(junior_approver)

    first = client.get(reverse("loans:queue"))
    second = client.get(reverse("loans:queue") + first.context["above"].next_url)

    assert sorted(rows(first)) == sorted(loan.pk for loan in within)
    seen = [loan.pk for loan in first.context["above"].rows + second.context["above"].rows]
    assert sorted(seen) == sorted(loan.pk for loan in above)
    assert rows(second) == rows(first)  # the other section stays on its page


def test_a_senior_approver_has_no_section_above_authority(client, cast):
    in_stage(cast.manager, LoanState.APPROVAL, 1, amount=Decimal(500_000))
    client.force_login(cast.approver)

    response = client.get(reverse("loans:queue"))

    assert len(rows(response)) == 1
    assert response.context["above"].rows == []


def test_the_navigation_counts_waiting_and_overdue_loans_in_one_query(client, cast, outsider):
    now = timezone.now()
    waiting = in_stage(cast.manager, LoanState.REVIEW, 3)
    due(waiting[0], now - timedelta(hours=1))
    in_stage(cast.manager, LoanState.APPROVAL, 2)  # not the reviewer's stage
    in_stage(outsider, LoanState.REVIEW, 4)  # another branch's

    with CaptureQueriesContext(connection) as queries:
        counts = inbox_counts(cast.reviewer, now)
    mine = inbox_counts(cast.manager, now)

    assert (str(counts.waiting), str(counts.waiting_overdue)) == ("3", "1")
    assert len(queries.captured_queries) <= 2  # the counts in one statement (the roles, once)
    assert (str(mine.mine), str(mine.mine_overdue)) == ("5", "1")
    client.force_login(cast.reviewer)
    page = client.get(reverse("loans:list")).content.decode()
    assert 'data-testid="count">3<' in page
    assert "1 overdue" in page


def test_the_navigation_counts_stop_at_the_cap_and_say_so(cast, monkeypatch):
    monkeypatch.setattr("loans.inbox.COUNT_CAP", 3)
    now = timezone.now()
    for loan in in_stage(cast.manager, LoanState.REVIEW, 5):
        due(loan, now - timedelta(hours=1))

    counts = inbox_counts(cast.reviewer, now)

    assert (str(counts.waiting), str(counts.waiting_overdue)) == ("3+", "3+")


def test_the_queue_pages_beyond_two_hundred_loans(client, cast):
    made = {loan.pk for loan in in_stage(cast.manager, LoanState.REVIEW, 230)}
    client.force_login(cast.reviewer)

    seen: list[int] = []
    response = client.get(reverse("loans:queue"))
    while True:
        seen += rows(response)
        next_url = response.context["page"].next_url
        if not next_url:
            break
        response = client.get(reverse("loans:queue") + next_url)

    assert len(seen) == len(made) == 230
    assert set(seen) == made


@pytest.mark.parametrize("who", ["reviewer", "junior_approver", "manager"])
def test_inbox_pages_keep_a_constant_number_of_queries(client, cast, junior_approver, who):
    user = {"reviewer": cast.reviewer, "junior_approver": junior_approver}.get(who, cast.manager)
    url = reverse("loans:mine" if who == "manager" else "loans:queue")
    for state in (LoanState.INTAKE, LoanState.REVIEW, LoanState.APPROVAL):
        in_stage(cast.manager, state, 2, amount=Decimal(500_000))
    client.force_login(user)
    client.get(url)  # caches warmed (content types, the policy)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for state in (LoanState.INTAKE, LoanState.REVIEW, LoanState.APPROVAL):
        for loan in in_stage(cast.manager, state, 6, amount=Decimal(500_000)):
            due(loan, timezone.now() - timedelta(hours=1))

    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many.captured_queries) == len(few.captured_queries)
