"""A loan from application to closing through the API alone, each step by the right person."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from loans.journeys import EVIDENCE_PHOTO
from loans.models import Loan
from tests.api.test_api import api
from workflow.audit import events_of, verify_chain

pytestmark = pytest.mark.django_db

# A moment of today in the bank's time zone: records may not predate the application.
NOW = timezone.localtime().isoformat(timespec="seconds")


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def step(client, loan_id, name, payload=None):
    return ok(
        client.post(f"/api/v1/loans/{loan_id}/transitions/{name}/", payload or {}, format="json")
    )


def test_a_loan_goes_from_application_to_closed_through_the_api_alone(cast, product):
    manager, co_investigator, reviewer, approver, officer = (
        api(cast.manager),
        api(cast.co_investigator),
        api(cast.reviewer),
        api(cast.approver),
        api(cast.officer),
    )
    borrower = ok(
        manager.post(
            "/api/v1/borrowers/",
            {
                "kind": "enterprise",
                "name": "城关镇顺发商贸有限公司",
                "id_number": "91350100M000100Y43",
                "industry": "F",
                "address": "人民路 8 号",
            },
            format="json",
        ),
        201,
    )
    loan = ok(
        manager.post(
            "/api/v1/loans/",
            {
                "borrower": borrower["id"],
                "product": product.code,
                "amount": "120000.00",
                "term_months": 12,
                "purpose": "Restock for the spring festival",
                "repayment_method": "equal_instalments",
                "guarantee_type": "guarantee",
                "industry": "F",
            },
            format="json",
        ),
        201,
    )
    url = f"/api/v1/loans/{loan['id']}"

    ok(
        manager.post(
            f"{url}/credit-authorisations/",
            {"signed_at": NOW, "written_consent": True, "purpose": "loan_application"},
            format="json",
        ),
        201,
    )
    ok(
        manager.post(
            f"{url}/interviews/",
            {
                "held_at": NOW,
                "location": "Branch",
                "notes": "Face to face.",
            },
            format="json",
        ),
        201,
    )
    assert step(manager, loan["id"], "start_site_visit")["state"] == "site_visit"

    visit = ok(
        manager.post(
            f"{url}/site-visits/",
            {
                "co_investigator": cast.co_investigator.pk,
                "visited_at": loan["created_at"],
                "location": "人民路 8 号",
                "business": "Shop open, stock seen.",
                "cash_flow": "Statements fine.",
                "repayment_source": "Sales.",
                "guarantee": "Guarantor met.",
            },
            format="json",
        ),
        201,
    )
    for n in range(3):
        photo = SimpleUploadedFile(f"shop-{n}.jpg", EVIDENCE_PHOTO, content_type="image/jpeg")
        ok(
            manager.post(
                f"{url}/documents/",
                {"kind": "photo", "site_visit": visit["id"], "file": photo},
                format="multipart",
            ),
            201,
        )
    confirmed = co_investigator.post(
        f"{url}/actions/site_visit_confirm/", {"record": visit["id"]}, format="json"
    )
    assert ok(confirmed, 200)["action"] == "site_visit_confirm"
    assert step(manager, loan["id"], "submit_for_review")["state"] == "review"

    ok(reviewer.post(f"{url}/credit-reports/", {"result": "clean"}, format="json"), 201)
    review = ok(
        reviewer.post(
            f"{url}/reviews/",
            {
                "monthly_income": "30000.00",
                "monthly_debt_payments": "11000.00",
                "opinion": "Sound.",
            },
            format="json",
        ),
        201,
    )
    assert review["debt_to_income"] == "0.367"
    assert step(reviewer, loan["id"], "submit_for_approval")["state"] == "approval"

    approved = step(
        approver,
        loan["id"],
        "approve",
        {"conditions": ["Guarantor signs in person"], "comment": "Within authority."},
    )
    assert approved["state"] == "disbursement"

    ok(
        officer.put(
            f"{url}/contract/",
            {
                "number": "C-2026-0001",
                "signed_at": NOW,
                "signed_face_to_face": True,
                "witness": cast.manager.pk,
            },
            format="json",
        )
    )
    (condition,) = ok(officer.get(f"{url}/conditions/"))
    ok(
        officer.post(
            f"{url}/conditions/{condition['id']}/fulfil/",
            {"fulfilment_note": "Signed."},
            format="json",
        )
    )
    ok(
        officer.post(
            f"{url}/drawdowns/",
            {
                "amount": "120000.00",
                "method": "own_account",
                "direct_payment_ground": "business_use",
            },
            format="json",
        ),
        201,
    )
    disbursed = step(officer, loan["id"], "disburse")
    assert (disbursed["state"], disbursed["outstanding_balance"]) == ("post_loan", "120000.00")

    ok(
        manager.post(
            f"{url}/inspections/",
            {
                "kind": "first",
                "mode": "on_site",
                "inspected_at": disbursed["disbursed_at"],
                "findings": "Stock bought as stated.",
                "funds_used_as_stated": True,
            },
            format="json",
        ),
        201,
    )
    ok(
        officer.post(
            f"{url}/repayments/",
            {"principal": "120000.00", "paid_at": disbursed["disbursed_at"]},
            format="json",
        ),
        201,
    )
    assert step(manager, loan["id"], "close")["state"] == "closed"

    audit = ok(manager.get(f"{url}/audit/"))["results"]
    transitions = [e["action"] for e in audit if e["kind"] == "transitioned"]
    assert transitions == [
        "start_site_visit",
        "submit_for_review",
        "submit_for_approval",
        "approve",
        "disburse",
        "close",
    ]
    assert all(e["channel"] == "api" for e in audit if e["kind"] == "transitioned")
    assert verify_chain(events_of(Loan.objects.get(pk=loan["id"]))).intact
