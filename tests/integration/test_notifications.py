"""The notification inbox: each notification links to its loan and is marked read on its own
or with all the others, by POST only and only by its recipient."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from workflow.models import Notification

pytestmark = pytest.mark.django_db


def notify(recipient, loan, subject):
    return Notification.objects.create(
        recipient=recipient,
        kind=Notification.Kind.REMINDER,
        content_type=ContentType.objects.get_for_model(loan),
        object_id=loan.pk,
        subject=subject,
        body="",
        created_at=timezone.now(),
    )


def test_a_notification_links_to_its_loan(client, manager, loan):
    notify(manager, loan, f"Reminder: {loan.reference} is due")
    client.force_login(manager)

    page = client.get(reverse("workflow:inbox")).content.decode()

    assert f'<a href="{reverse("loans:detail", args=[loan.pk])}">Reminder: {loan.reference}' in page


def test_one_notification_is_marked_read_on_its_own(client, manager, loan):
    first = notify(manager, loan, "First")
    second = notify(manager, loan, "Second")
    client.force_login(manager)

    response = client.post(reverse("workflow:mark_read", args=[first.pk]))

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert 'data-testid="unread">1<' in client.get(reverse("workflow:inbox")).content.decode()


def test_all_notifications_are_marked_read_at_once(client, manager, loan):
    for n in range(3):
        notify(manager, loan, f"Reminder {n}")
    client.force_login(manager)

    client.post(reverse("workflow:mark_all_read"))

    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_marking_read_takes_a_post_with_the_csrf_token(manager, loan):
    notification = notify(manager, loan, "Reminder")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    assert browser.get(reverse("workflow:mark_read", args=[notification.pk])).status_code == 405
    assert browser.post(reverse("workflow:mark_read", args=[notification.pk])).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_another_persons_notification_cannot_be_marked_read(client, manager, reviewer, loan):
    theirs = notify(reviewer, loan, "For the reviewer")
    client.force_login(manager)

    assert client.post(reverse("workflow:mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_pages_by_keyset_with_constant_queries(client, manager, loan, monkeypatch):
    monkeypatch.setattr("loans.paging.PAGE_SIZE", 4)
    made = {notify(manager, loan, f"Reminder {n}").pk for n in range(10)}
    client.force_login(manager)

    seen: list[int] = []
    response = client.get(reverse("workflow:inbox"))
    while True:
        seen += [row.notification.pk for row in response.context["rows"]]
        if not response.context["page"].next_url:
            break
        response = client.get(reverse("workflow:inbox") + response.context["page"].next_url)

    assert sorted(seen) == sorted(made)


def test_the_inbox_keeps_a_constant_number_of_queries(client, manager, loan):
    for n in range(3):
        notify(manager, loan, f"Reminder {n}")
    client.force_login(manager)
    client.get(reverse("workflow:inbox"))  # caches warmed
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("workflow:inbox"))
    for n in range(30):
        notify(manager, loan, f"More {n}")

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("workflow:inbox"))

    assert len(many.captured_queries) == len(few.captured_queries)
