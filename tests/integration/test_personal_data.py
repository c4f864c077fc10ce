"""Personal data: masked for every role on pages, in the API, the CSV export and the admin; shown
in full only through the reveal, which the engine allows to the people who need it and records
in the loan's audit trail (a refusal is a deviation)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from loans.journeys import advance, prepare_to_leave
from loans.models import Borrower
from loans.personal_data import PersonalField, mask
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.api.test_api import api
from workflow.audit import events_of
from workflow.models import Deviation

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def personal_loan(loan):
    borrower = loan.borrower
    borrower.phone = PHONE
    borrower.save(update_fields=["phone"])
    return loan


@pytest.fixture
def paying(manager, product, cast):
    """A loan above the entrusted-payment threshold in disbursement: its drawdown names the
    counterparty's account."""
    loan = factories.LoanFactory(account_manager=manager, product=product, amount=800_000)
    return prepare_to_leave(advance(loan, LoanState.DISBURSEMENT, cast), cast)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reveals(loan):
    return [e for e in events_of(loan) if e.action == "personal_data_reveal"]


# --- masked everywhere ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["manager", "reviewer", "approver", "officer", "compliance", "head"]
)
def test_the_loan_page_shows_identity_and_phone_masked_to_every_role(
    request, personal_loan, role, head
):
    user = request.getfixturevalue(role)
    page = signed_in(user).get(reverse("loans:detail", args=[personal_loan.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    number = personal_loan.borrower.id_number
    assert number not in html
    assert PHONE not in html
    assert mask(number, PersonalField.ID_NUMBER) in html
    assert "138****5678" in html


def test_only_the_people_who_need_the_full_value_are_offered_reveal(
    personal_loan, manager, reviewer, compliance
):
    url = reverse("loans:detail", args=[personal_loan.pk])
    assert 'data-testid="reveal-id_number"' in signed_in(manager).get(url).content.decode()
    for user in (reviewer, compliance):
        assert 'data-testid="reveal-id_number"' not in signed_in(user).get(url).content.decode()


@pytest.mark.parametrize("role", ["manager", "reviewer", "compliance"])
def test_the_api_answers_borrowers_masked_to_every_role(request, personal_loan, role):
    user = request.getfixturevalue(role)
    body = api(user).get(f"/api/v1/borrowers/{personal_loan.borrower_id}/").json()
    assert body["id_number"] == mask(personal_loan.borrower.id_number, PersonalField.ID_NUMBER)
    assert body["phone"] == "138****5678"
    assert body["address"] == mask(personal_loan.borrower.address, PersonalField.ADDRESS)


def test_a_new_borrower_is_written_in_full_and_answered_masked(manager):
    number = factories.valid_resident_id()
    answer = api(manager).post(
        "/api/v1/borrowers/",
        {"kind": "individual", "name": "Wang Fang", "id_number": number, "phone": PHONE},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["id_number"] == mask(number, PersonalField.ID_NUMBER)
    assert Borrower.objects.get(pk=answer.json()["id"]).id_number == number


@pytest.mark.parametrize("role", ["manager", "reviewer", "head"])
def test_the_csv_export_masks_identity_and_phone_for_every_role(request, personal_loan, role, head):
    user = request.getfixturevalue(role)
    response = signed_in(user).get(reverse("loans:export"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert personal_loan.reference in text
    assert personal_loan.borrower.id_number not in text
    assert mask(personal_loan.borrower.id_number, PersonalField.ID_NUMBER) in text
    assert PHONE not in text
    assert "138****5678" in text


def test_a_counterparty_account_is_masked_in_the_api_records_and_audit_trail(paying, cast):
    drawdown = paying.drawdowns.get()
    account = drawdown.counterparty_account
    assert account
    records = api(cast.officer).get(f"/api/v1/loans/{paying.pk}/drawdowns/").content.decode()
    audit = api(cast.officer).get(f"/api/v1/loans/{paying.pk}/audit/").content.decode()
    for text in (records, audit):
        assert account not in text
        assert mask(account, PersonalField.ACCOUNT) in text


def test_the_admin_lists_and_shows_borrowers_masked(personal_loan):
    admin = factories.staff(
        Role.ADMINISTRATOR, branch=None, username="admin", is_staff=True, is_superuser=True
    )
    client = signed_in(admin)
    borrower = personal_loan.borrower
    for url in (
        reverse("admin:loans_borrower_changelist"),
        reverse("admin:loans_borrower_change", args=[borrower.pk]),
    ):
        html = client.get(url).content.decode()
        assert borrower.id_number not in html
        assert mask(borrower.id_number, PersonalField.ID_NUMBER) in html
    assert (
        PHONE
        not in client.get(
            reverse("admin:loans_borrower_change", args=[borrower.pk])
        ).content.decode()
    )


# --- the reveal -----------------------------------------------------------------------------


def test_the_account_manager_reveals_the_identity_number_and_the_audit_trail_says_so(
    personal_loan, manager
):
    page = signed_in(manager).post(
        reverse("loans:reveal", args=[personal_loan.pk]), {"field": "id_number"}
    )
    assert page.status_code == 200
    assert personal_loan.borrower.id_number in page.content.decode()
    [event] = reveals(personal_loan)
    assert event.actor == manager
    assert event.payload["field"] == "id_number"
    assert event.payload["revealed"] == "id_number"
    assert personal_loan.borrower.id_number not in str(event.payload)


def test_a_reviewer_who_asks_to_reveal_is_refused_and_logged(personal_loan, reviewer):
    answer = api(reviewer).post(
        f"/api/v1/loans/{personal_loan.pk}/reveal/", {"field": "phone"}, format="json"
    )
    assert answer.status_code == 403, answer.content
    assert PHONE not in answer.content.decode()
    deviation = Deviation.objects.get(pk=answer.json()["deviation_id"])
    assert deviation.transition == "personal_data_reveal"
    assert deviation.kind == Deviation.Kind.WRONG_ROLE
    assert reveals(personal_loan) == []


def test_a_disbursement_officer_before_disbursement_is_refused_as_the_wrong_person(
    personal_loan, officer
):
    answer = api(officer).post(
        f"/api/v1/loans/{personal_loan.pk}/reveal/", {"field": "id_number"}, format="json"
    )
    assert answer.status_code == 403, answer.content
    deviation = Deviation.objects.get(pk=answer.json()["deviation_id"])
    assert deviation.failed_codes == ["needs_personal_data"]


def test_an_account_manager_of_the_branch_who_does_not_own_the_loan_is_refused(
    personal_loan, co_investigator
):
    response = signed_in(co_investigator).post(
        reverse("loans:reveal", args=[personal_loan.pk]), {"field": "id_number"}
    )
    assert response.status_code == 302
    assert personal_loan.borrower.id_number not in response.content.decode()
    assert Deviation.objects.filter(transition="personal_data_reveal").count() == 1


def test_the_disbursement_officer_reveals_the_counterparty_account_in_disbursement(paying, cast):
    drawdown = paying.drawdowns.get()
    answer = api(cast.officer).post(
        f"/api/v1/loans/{paying.pk}/reveal/",
        {"field": "counterparty_account", "record": drawdown.pk},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "field": "counterparty_account",
        "value": drawdown.counterparty_account,
    }
    assert "no-store" in answer["Cache-Control"]
    [event] = reveals(paying)
    assert event.actor == cast.officer
    assert event.payload["record"] == drawdown.pk


def test_the_generic_action_endpoint_does_not_reveal(personal_loan, manager):
    answer = api(manager).post(
        f"/api/v1/loans/{personal_loan.pk}/actions/personal_data_reveal/",
        {"field": "id_number"},
        format="json",
    )
    assert answer.status_code == 404
    assert reveals(personal_loan) == []


# --- a duplicate identity number ------------------------------------------------------------


def test_a_manager_of_another_branch_is_not_told_the_person_borrows_here(
    personal_loan, outsider, compliance
):
    existing = personal_loan.borrower
    page = signed_in(outsider).post(
        reverse("loans:borrower-add"),
        {"kind": "individual", "name": "Someone Else", "id_number": existing.id_number},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "cannot be used for a new borrower" in html
    assert "already exists" not in html
    assert existing.name not in html
    assert existing.branch.code not in html
    assert Borrower.objects.filter(id_number=existing.id_number).count() == 1
    deviation = Deviation.objects.get(transition="borrower_create")
    assert deviation.content_type == ContentType.objects.get_for_model(Borrower)
    assert deviation.object_id == existing.pk
    assert deviation.actor == outsider
    assert deviation.scope == "B01"
    assert deviation.payload["branch"] == "B02"
    detail = signed_in(compliance).get(reverse("loans:deviation", args=[deviation.pk]))
    assert detail.status_code == 200
    assert existing.id_number not in detail.content.decode()
    log = signed_in(compliance).get(reverse("loans:deviations")).content.decode()
    assert personal_loan.reference not in log  # a refusal on a borrower names no loan


def test_the_api_answers_a_duplicate_identity_number_with_the_same_words(personal_loan, outsider):
    answer = api(outsider).post(
        "/api/v1/borrowers/",
        {
            "kind": "individual",
            "name": "Someone Else",
            "id_number": personal_loan.borrower.id_number,
        },
        format="json",
    )
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["errors"][0]["field"] == "id_number"
    assert "cannot be used for a new borrower" in answer.content.decode()
    assert personal_loan.borrower.name not in answer.content.decode()


def test_compliance_works_a_duplicate_identity_deviation(personal_loan, outsider, compliance):
    signed_in(outsider).post(
        reverse("loans:borrower-add"),
        {
            "kind": "individual",
            "name": "Someone Else",
            "id_number": personal_loan.borrower.id_number,
        },
    )
    deviation = Deviation.objects.get(transition="borrower_create")
    answer = api(compliance).post(
        f"/api/v1/deviations/{deviation.pk}/reviews/",
        {"status": "acknowledged", "note": "Asked B02 why."},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    listed = api(compliance).get(f"/api/v1/deviations/{deviation.pk}/").json()
    assert listed["loan"] is None
    assert listed["payload"]["id_number"] == mask(
        personal_loan.borrower.id_number, PersonalField.ID_NUMBER
    )


def test_a_correction_form_offers_the_account_masked_and_keeps_it_when_left_alone(paying, cast):
    drawdown = paying.drawdowns.get()
    account = drawdown.counterparty_account
    url = reverse("loans:record-action", args=[paying.pk, "drawdown_correct", drawdown.pk])
    client = signed_in(cast.officer)
    form = client.get(url).content.decode()
    assert account not in form
    assert mask(account, PersonalField.ACCOUNT) in form

    answer = client.post(
        url,
        {
            "amount": str(drawdown.amount),
            "method": drawdown.method,
            "counterparty_name": "County Building Materials Ltd.",
            "counterparty_account": mask(account, PersonalField.ACCOUNT),
            "reason": "The counterparty's name is as on its licence.",
        },
    )
    assert answer.status_code == 302, answer.content.decode()
    drawdown.refresh_from_db()
    assert drawdown.counterparty_name == "County Building Materials Ltd."
    assert drawdown.counterparty_account == account


def test_the_admin_shows_audit_payloads_with_the_account_masked(paying):
    admin = factories.staff(
        Role.ADMINISTRATOR, branch=None, username="admin", is_staff=True, is_superuser=True
    )
    account = paying.drawdowns.get().counterparty_account
    event = next(e for e in events_of(paying) if e.action == "drawdown_request")
    html = signed_in(admin).get(reverse("admin:workflow_auditevent_change", args=[event.pk]))
    assert html.status_code == 200
    assert account not in html.content.decode()
    assert mask(account, PersonalField.ACCOUNT) in html.content.decode()
