"""Every endpoint for the right role, the wrong role and a user of another branch."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from loans.journeys import EVIDENCE_PHOTO, act, advance
from loans.records import RECORDS
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.api.test_api import api

pytestmark = pytest.mark.django_db

# Today in the bank's time zone: records may not predate the application.
TODAY = timezone.localtime().isoformat(timespec="seconds")
PAYLOADS = {
    "interviews": {"held_at": TODAY, "location": "Branch", "notes": "Met."},
    "credit-authorisations": {
        "signed_at": TODAY,
        "written_consent": True,
        "purpose": "loan_application",
    },
    "site-visits": {"visited_at": TODAY, "location": "Shop", "business": "Open."},
    "collateral-valuations": {
        "description": "Shop",
        "value": "200000.00",
        "appraiser": "Co.",
        "valued_at": TODAY[:10],
    },
    "guarantors": {
        "kind": "person",
        "name": "Zhou Jianguo",
        "id_number": "11010519491231002X",
        "amount": "80000.00",
        "signed_on": TODAY[:10],
    },
    "documents": None,  # multipart, below
    "credit-reports": {"result": "clean"},
    "reviews": {"monthly_income": "20000.00", "monthly_debt_payments": "6000.00", "opinion": "OK."},
    "drawdowns": {
        "amount": "80000.00",
        "method": "own_account",
        "direct_payment_ground": "business_use",
    },
    "inspections": {
        "kind": "first",
        "mode": "on_site",
        "inspected_at": TODAY,
        "findings": "Fine.",
        "funds_used_as_stated": True,
    },
    "repayments": {"principal": "1000.00", "paid_at": TODAY},
}
ROLE_USER = {
    Role.ACCOUNT_MANAGER: "manager",
    Role.REVIEWER: "reviewer",
    Role.DISBURSEMENT_OFFICER: "officer",
}


def post_record(client, loan, path):
    url = f"/api/v1/loans/{loan.pk}/{path}/"
    if path == "documents":
        photo = SimpleUploadedFile("shop.jpg", EVIDENCE_PHOTO, content_type="image/jpeg")
        return client.post(url, {"kind": "photo", "file": photo}, format="multipart")
    return client.post(url, PAYLOADS[path], format="json")


@pytest.mark.parametrize("kind", RECORDS, ids=lambda kind: kind.path)
def test_each_record_endpoint_by_role_and_branch(kind, cast, outsider, compliance):
    stage = LoanState(kind.states[0])
    loan = advance(factories.LoanFactory(account_manager=cast.manager), stage, cast)
    if kind.path == "reviews":  # a review needs the credit report on file
        act(loan, "credit_report_record", cast.reviewer, result="clean")
    (role,) = kind.roles
    right = getattr(cast, ROLE_USER[role])

    assert post_record(api(outsider), loan, kind.path).status_code == 404
    assert post_record(api(compliance), loan, kind.path).status_code == 403
    created = post_record(api(right), loan, kind.path)
    assert created.status_code == 201, created.content
    assert api(outsider).get(f"/api/v1/loans/{loan.pk}/{kind.path}/").status_code == 404
    assert len(api(compliance).get(f"/api/v1/loans/{loan.pk}/{kind.path}/").json()) >= 1


@pytest.mark.parametrize(
    "path",
    ["", "transitions/", "audit/", "conditions/", "contract/"],
)
def test_loan_reads_are_refused_to_another_branch(loan, outsider, manager, path):
    assert api(outsider).get(f"/api/v1/loans/{loan.pk}/{path}").status_code == 404
    assert api(manager).get(f"/api/v1/loans/{loan.pk}/{path}").status_code in {200, 404}


def test_the_contract_is_written_by_the_disbursement_officer_only(cast, outsider):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    body = {
        "number": "C-1",
        "signed_at": TODAY,
        "signed_face_to_face": True,
        "witness": cast.manager.pk,
    }
    url = f"/api/v1/loans/{loan.pk}/contract/"

    assert api(outsider).put(url, body, format="json").status_code == 404
    assert api(cast.manager).put(url, body, format="json").status_code == 403
    assert api(cast.officer).put(url, body, format="json").status_code == 200
    assert api(cast.manager).get(url).json()["number"] == "C-1"
    himself = api(cast.officer).put(url, {**body, "witness": cast.officer.pk}, format="json")
    assert himself.status_code == 400
    assert himself.json()["errors"][0]["code"] == "witness_independent"


def test_conditions_are_fulfilled_by_the_disbursement_officer_only(cast, outsider):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    (condition,) = loan.approval_conditions.all()
    url = f"/api/v1/loans/{loan.pk}/conditions/{condition.pk}/fulfil/"
    body = {"fulfilment_note": "Seen."}

    assert api(outsider).post(url, body, format="json").status_code == 404
    assert api(cast.manager).post(url, body, format="json").status_code == 403
    assert api(cast.officer).post(url, body, format="json").json()["fulfilled_at"] is not None


def test_borrowers_of_another_branch_are_not_found(manager, outsider):
    borrower = factories.BorrowerFactory(branch=manager.branch)

    assert api(outsider).get(f"/api/v1/borrowers/{borrower.pk}/").status_code == 404
    assert api(manager).get(f"/api/v1/borrowers/{borrower.pk}/").status_code == 200


def test_deviations_are_read_by_compliance_of_the_branch_only(
    loan, manager, compliance, other_branch
):
    api(manager).post(f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/", {}, format="json")
    foreign = factories.staff(Role.COMPLIANCE_OFFICER, branch=other_branch, username="compliance9")
    head = factories.staff(Role.BRANCH_HEAD, branch=manager.branch, username="head1")

    assert api(compliance).get("/api/v1/deviations/").json()["results"] != []
    assert api(head).get("/api/v1/deviations/").json()["results"] != []
    assert api(foreign).get("/api/v1/deviations/").json()["results"] == []
    assert api(manager).get("/api/v1/deviations/").status_code == 403


def test_a_branch_head_may_read_but_not_work_deviations(loan, manager):
    api(manager).post(f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/", {}, format="json")
    head = factories.staff(Role.BRANCH_HEAD, branch=manager.branch, username="head1")
    (deviation,) = api(head).get("/api/v1/deviations/").json()["results"]

    response = api(head).post(
        f"/api/v1/deviations/{deviation['id']}/reviews/",
        {"status": "resolved", "note": "x"},
        format="json",
    )

    assert response.status_code == 403


def test_borrowers_are_added_by_account_managers_only(reviewer, manager):
    body = {"kind": "individual", "name": "王五", "id_number": "11010519491231002X"}

    assert api(reviewer).post("/api/v1/borrowers/", body, format="json").status_code == 403
    assert api(manager).post("/api/v1/borrowers/", body, format="json").status_code == 201


def test_the_application_is_patched_by_an_account_manager_of_the_branch_only(
    loan, reviewer, outsider
):
    url = f"/api/v1/loans/{loan.pk}/"

    assert api(outsider).patch(url, {"term_months": 18}, format="json").status_code == 404
    assert api(reviewer).patch(url, {"term_months": 18}, format="json").status_code == 403
    assert (
        api(loan.account_manager)
        .patch(url, {"term_months": 18}, format="json")
        .json()["term_months"]
        == 18
    )


def test_notifications_are_the_users_own(loan, manager, reviewer):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from workflow.models import Notification

    mine = Notification.objects.create(
        recipient=manager,
        kind="reminder",
        content_type=ContentType.objects.get_for_model(loan),
        object_id=loan.pk,
        subject="Due soon",
        body="",
        created_at=timezone.now(),
    )

    assert api(reviewer).get("/api/v1/notifications/").json()["results"] == []
    assert api(reviewer).post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 404
    read = api(manager).post(f"/api/v1/notifications/{mine.pk}/read/").json()
    assert read["read_at"] is not None


def test_the_policy_is_readable_by_any_member_of_staff_and_nobody_else(reviewer):
    from rest_framework.test import APIClient

    assert api(reviewer).get("/api/v1/policy/").status_code == 200
    assert APIClient().get("/api/v1/policy/").status_code == 401
