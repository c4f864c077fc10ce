"""Collections in the web UI: the branch's list, the case page with its steps as forms, and the
loan page's link; a case from opening to written off by the right people, form by form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loans import services as loan_services
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from recovery.models import CollectionCase
from recovery.services import collection_cases_open
from recovery.states import CaseState
from tests import factories
from workflow.audit import events_of
from workflow.models import Channel, Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(loan, cast):
    disbursed = advance(loan, LoanState.POST_LOAN, cast)
    loan_services.days_past_due_update(loan=disbursed, days_past_due=400)
    (opened,) = collection_cases_open()
    return opened


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, **data):
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


def test_a_case_goes_from_open_to_written_off_through_the_pages(case, branch, manager, approver):
    second = factories.staff(Role.APPROVER, branch=branch, username="approver3b", authority_level=3)
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    step = lambda name: reverse("recovery:transition", args=[case.pk, name])  # noqa: E731
    act = lambda name: reverse("recovery:action", args=[case.pk, name])  # noqa: E731
    why = "Business closed; nothing left to recover."
    owner = signed_in(manager)

    listing = owner.get(reverse("recovery:list")).content.decode()
    assert case.loan.reference in listing
    loan_page = owner.get(reverse("loans:detail", args=[case.loan.pk])).content.decode()
    assert reverse("recovery:detail", args=[case.pk]) in loan_page

    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    post(
        owner,
        act("contact_log"),
        contacted_at=moment,
        channel="phone",
        reached="on",
        notes="Borrower answered.",
    )
    post(owner, step("mark_contacted"))
    post(owner, step("propose_write_off"), comment=why)
    for approver_ in (approver, second):
        post(signed_in(approver_), act("write_off_endorse"), note="Loss, agreed.")
    page = post(signed_in(head), step("write_off"), comment=why)

    assert CollectionCase.objects.get(pk=case.pk).state == CaseState.WRITTEN_OFF
    assert "This collection case is closed." in page
    assert not Deviation.objects.exists()
    assert {e.channel for e in events_of(case)[1:]} == {Channel.WEB}


def test_a_promise_before_contact_on_the_page_is_refused_and_recorded(case, manager):
    page = post(
        signed_in(manager),
        reverse("recovery:transition", args=[case.pk, "take_promise"]),
        promised_amount="500",
        promised_date=timezone.localdate().isoformat(),
    )

    assert "recorded for compliance" in page
    deviation = Deviation.objects.get()
    assert deviation.failed_checks[0]["code"] == "contact_logged"
    assert deviation.channel == Channel.WEB


def test_an_invalid_contact_form_comes_back_with_its_errors_and_records_nothing(case, manager):
    response = signed_in(manager).post(
        reverse("recovery:action", args=[case.pk, "contact_log"]),
        {"channel": "phone", "notes": "Borrower answered."},
    )

    assert response.status_code == 400
    assert "Borrower answered." in response.content.decode()
    assert not Deviation.objects.exists()
    assert not case.contact_attempts.exists()


def test_other_branches_never_see_the_case(case, outsider):
    client = signed_in(outsider)

    assert case.loan.reference not in client.get(reverse("recovery:list")).content.decode()
    assert client.get(reverse("recovery:detail", args=[case.pk])).status_code == 404


def test_the_list_pages_by_keyset(case, manager, django_assert_max_num_queries):
    client = signed_in(manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("recovery:list"), {"cursor": "forged"})
    assert response.status_code == 400  # a link that was not valid: the first page instead
    assert case.loan.reference in response.content.decode()


def test_the_admin_shows_a_case_but_never_changes_it(case, admin_client):
    page = admin_client.get(reverse("admin:recovery_collectioncase_change", args=[case.pk]))

    assert page.status_code == 200
    assert admin_client.get(reverse("admin:recovery_collectioncase_add")).status_code == 403
    deleted = admin_client.post(
        reverse("admin:recovery_collectioncase_delete", args=[case.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert CollectionCase.objects.filter(pk=case.pk).exists()
