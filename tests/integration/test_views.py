"""The plain pages: login, the loan list and a loan's page, scoped to the user's branch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loans.journeys import advance
from loans.states import LoanState
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_login_page_is_served_at_accounts_login(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("loans:list"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_account_manager_logs_in_and_lands_on_their_pipeline(client, manager):
    response = client.post(
        "/accounts/login/", {"username": "manager1", "password": "test-password"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("loans:mine")
    assert response.context["user"] == manager


def test_the_loan_list_shows_own_branch_loans_only(client, loan, manager, outsider):
    foreign = factories.LoanFactory(account_manager=outsider, reference="LF-FOREIGN-1")
    client.force_login(manager)

    response = client.get(reverse("loans:list"))

    assert loan.reference in response.content.decode()
    assert foreign.reference not in response.content.decode()


def test_the_loan_list_counts_loans_per_stage(client, cast, product):
    for target in (LoanState.INTAKE, LoanState.REVIEW, LoanState.REVIEW):
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        advance(loan, target, cast)
    client.force_login(cast.manager)

    response = client.get(reverse("loans:list"))

    stages = {stage.value: str(count) for stage, count in response.context["stages"]}
    assert stages["intake"] == "1"
    assert stages["review"] == "2"
    assert str(response.context["total"]) == "3"


def test_the_loan_list_filters_by_stage(client, cast, product):
    waiting = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    new = factories.LoanFactory(account_manager=cast.manager, product=product)
    client.force_login(cast.manager)

    response = client.get(reverse("loans:list"), {"state": "review"})

    assert list(response.context["loans"]) == [waiting]
    assert new.reference not in response.content.decode()


def test_the_loan_list_query_count_does_not_grow_with_rows(
    client, manager, product, django_assert_num_queries
):
    client.force_login(manager)
    factories.LoanFactory(account_manager=manager, product=product)
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("loans:list"))
    factories.LoanFactory.create_batch(15, account_manager=manager, product=product)

    with django_assert_num_queries(len(one_row.captured_queries)):
        response = client.get(reverse("loans:list"))
    assert len(response.context["loans"]) == 16


def test_a_loan_of_another_branch_is_not_found(client, loan, outsider):
    client.force_login(outsider)

    response = client.get(reverse("loans:detail", args=[loan.pk]))

    assert response.status_code == 404


def test_the_loan_page_shows_each_check_of_the_next_step_with_its_reason(client, loan, manager):
    client.force_login(manager)

    response = client.get(reverse("loans:detail", args=[loan.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "✗ A face-to-face interview is on file" in page
    assert "No face-to-face interview with the borrower has been recorded." in page
    assert "✓ The application is complete" in page


def test_a_failed_check_shows_the_rule_it_enforces_in_words_with_its_source(client, loan, manager):
    client.force_login(manager)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert (
        "The borrower is interviewed face to face before the loan moves on. (regulation: "
        "Individual loan measures (NFRA 2024 No. 3), interview system (2010 art. 17†))"
    ) in page
    assert "intake.interview" not in page  # a person reads the rule, not its id
    assert "The application states" not in page  # passed checks show no rule


def test_the_loan_page_shows_the_timeline(client, loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:detail", args=[loan.pk]))

    transitions = [
        (row.event.action, row.step)
        for row in response.context["events"]
        if row.event.kind == "transitioned"
    ]
    assert transitions == [
        ("start_site_visit", "Start the site visit"),
        ("submit_for_review", "Submit for review"),
    ]
    assert "Start the site visit: intake → site visit" in response.content.decode()


def test_the_loan_page_speaks_simplified_chinese(client, loan, manager):
    client.force_login(manager)

    response = client.get(
        reverse("loans:detail", args=[loan.pk]), headers={"accept-language": "zh-hans"}
    )

    page = response.content.decode()
    assert "尚未记录与借款人的面谈。" in page
    assert "借款人" in page


def test_the_navigation_shows_the_unread_count_and_the_inbox_lists_them(client, loan, manager):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from workflow.models import Notification

    for n in range(2):
        Notification.objects.create(
            recipient=manager,
            kind="reminder",
            content_type=ContentType.objects.get_for_model(loan),
            object_id=loan.pk,
            subject=f"Reminder {n}: {loan.reference} is due",
            body="Due soon.",
            created_at=timezone.now(),
        )
    client.force_login(manager)

    page = client.get(reverse("workflow:inbox")).content.decode()
    assert 'data-testid="unread">2<' in page
    assert f"Reminder 1: {loan.reference} is due" in page

    client.post(reverse("workflow:mark_all_read"))
    assert 'data-testid="unread"' not in client.get(reverse("loans:list")).content.decode()


def test_the_inbox_shows_only_the_users_own_notifications(client, loan, manager, reviewer):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from workflow.models import Notification

    Notification.objects.create(
        recipient=reviewer,
        kind="reminder",
        content_type=ContentType.objects.get_for_model(loan),
        object_id=loan.pk,
        subject="For the reviewer only",
        body="",
        created_at=timezone.now(),
    )
    client.force_login(manager)

    assert "For the reviewer only" not in client.get(reverse("workflow:inbox")).content.decode()
