"""The REST API: the same rules as the UI, every refusal with its status, JSON and deviation."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow.models import Deviation
from workflow.registry import process_for

pytestmark = pytest.mark.django_db

# A moment of today in the bank's time zone: records may not predate the application.
NOW = timezone.localtime().isoformat(timespec="seconds")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = StringIO()
        call_command("issue_token", user.username, stdout=token)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.getvalue().strip()}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert set(body) >= {"code", "detail", "errors"}
    return body


# --- authentication, scoping ---------------------------------------------------------------------


def test_without_credentials_the_api_answers_401_in_json():
    assert_error(api().get("/api/v1/loans/"), 401, "not_authenticated")


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(client.get("/api/v1/loans/"), 401, "authentication_failed")


def test_a_session_login_works_too(client, manager, loan):
    client.force_login(manager)
    assert len(client.get("/api/v1/loans/").json()["results"]) == 1


def test_loans_are_listed_for_the_users_branch_only(loan, manager, outsider):
    factories.LoanFactory(account_manager=outsider)

    body = api(manager).get("/api/v1/loans/").json()

    assert [row["reference"] for row in body["results"]] == [loan.reference]
    assert body["results"][0]["sla_status"] is None  # factory loans start no timer


def test_a_loan_of_another_branch_is_not_found(loan, outsider):
    assert_error(api(outsider).get(f"/api/v1/loans/{loan.pk}/"), 404, "not_found")
    assert_error(api(outsider).get(f"/api/v1/loans/{loan.pk}/transitions/"), 404, "not_found")
    response = api(outsider).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", {}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert not Deviation.objects.exists()


def test_loans_filter_by_state_and_sla_status(cast):
    in_review = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    factories.LoanFactory(account_manager=cast.manager)
    client = api(cast.manager)

    by_state = client.get("/api/v1/loans/", {"state": "review"}).json()
    on_time = client.get("/api/v1/loans/", {"sla_status": "on_time"}).json()

    assert [row["id"] for row in by_state["results"]] == [in_review.pk]
    assert [row["id"] for row in on_time["results"]] == [in_review.pk]
    assert_error(client.get("/api/v1/loans/", {"state": "limbo"}), 400, "invalid")


# --- writes --------------------------------------------------------------------------------------


def test_an_account_manager_creates_a_borrower_and_a_loan_in_intake(manager, product):
    client = api(manager)
    borrower = client.post(
        "/api/v1/borrowers/",
        {"kind": "individual", "name": "张三", "id_number": "11010519491231002X", "industry": "F"},
        format="json",
    )
    assert borrower.status_code == 201, borrower.content

    loan = client.post(
        "/api/v1/loans/",
        {
            "borrower": borrower.json()["id"],
            "product": "MERCHANT",
            "amount": "80000.00",
            "term_months": 12,
        },
        format="json",
    )

    assert loan.status_code == 201, loan.content
    assert (loan.json()["state"], loan.json()["branch"]) == ("intake", "B01")


def test_a_borrower_with_a_bad_identity_number_gets_a_field_error(manager):
    response = api(manager).post(
        "/api/v1/borrowers/",
        {"kind": "individual", "name": "李四", "id_number": "110105194912310021"},
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [
        {
            "field": "id_number",
            "message": "The check character should be X.",
            "code": "resident_id_check_character",
        }
    ]


def test_a_reviewer_may_not_create_loans(reviewer, loan):
    response = api(reviewer).post("/api/v1/loans/", {"borrower": loan.borrower_id}, format="json")
    assert_error(response, 403, "permission_denied")


def test_malformed_json_is_a_400_not_a_500(manager, loan):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", "{nope", content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("[" * 1000 + "]" * 1000, "nested deeper than 32 levels"),  # was a RecursionError
        ('{"a":' * 1000 + "1" + "}" * 1000, "nested deeper than 32 levels"),
        ('{"comment": ' + "[" * 40 + "]" * 40 + "}", "nested deeper than 32 levels"),
        ('{"comment": "a", "comment": "b"}', "'comment' is given more than once"),
        ('{"comment": 1e400}', "out of range"),
        ('{"comment": NaN}', "not JSON compliant"),
        ('{"comment": "\\ud800"}', "unpaired surrogate"),  # was a 500 when stored or echoed
        ('{"\\udfff": "x"}', "unpaired surrogate"),
        (b'{"comment": "\xff\xfe"}', "can't decode byte 0xff"),
    ],
)
def test_json_the_api_cannot_take_as_plain_data_is_a_parse_error(manager, loan, body, says):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", body, content_type="application/json"
    )

    assert says in assert_error(response, 400, "parse_error")["detail"]
    loan.refresh_from_db()
    assert loan.state == "intake"


def test_a_body_in_a_compressing_charset_is_refused_unread(manager, loan):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/",
        "{}",
        content_type="application/json; charset=bz2_codec",
    )

    assert "Unsupported charset" in assert_error(response, 400, "parse_error")["detail"]


def test_the_application_cannot_be_patched_after_the_site_visit(cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)

    response = api(cast.manager).patch(
        f"/api/v1/loans/{loan.pk}/", {"amount": "1.00"}, format="json"
    )

    assert_error(response, 409, "wrong_state")


# --- transitions ---------------------------------------------------------------------------------


def test_the_preflight_lists_transitions_with_their_checks(loan, manager):
    options = api(manager).get(f"/api/v1/loans/{loan.pk}/transitions/").json()

    start = next(o for o in options if o["name"] == "start_site_visit")
    assert start["target"] == "site_visit"
    assert start["allowed"] is False
    assert {
        "code": "interview_recorded",
        "passed": False,
        "severity": "hard",
        "reason": "No face-to-face interview with the borrower has been recorded.",
        "clause": "intake.interview",
    } in start["checks"]


def test_failed_checks_answer_409_with_the_errors_and_the_deviation(loan, manager):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/", {}, format="json"
    )

    body = assert_error(response, 409, "checks_failed")
    assert [e["code"] for e in body["errors"]] == [
        "credit_authorisation_on_file",
        "interview_recorded",
    ]
    deviation = Deviation.objects.get(pk=body["deviation_id"])
    assert deviation.channel == "api"


def test_the_wrong_role_answers_403_and_is_recorded(loan, reviewer):
    response = api(reviewer).post(
        f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/", {}, format="json"
    )

    body = assert_error(response, 403, "wrong_role")
    assert Deviation.objects.get(pk=body["deviation_id"]).kind == "wrong_role"


def test_the_wrong_person_answers_403_and_is_recorded(cast, branch):
    both = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    loan = factories.LoanFactory(account_manager=both)
    loan = advance(loan, LoanState.REVIEW, dataclasses.replace(cast, manager=both))

    response = api(both).post(  # the first thing a reviewer writes: the credit report
        f"/api/v1/loans/{loan.pk}/credit-reports/", {"result": "clean"}, format="json"
    )

    body = assert_error(response, 403, "wrong_person")
    assert [e["code"] for e in body["errors"]] == ["reviewer_independent"]
    assert Deviation.objects.get(pk=body["deviation_id"]).channel == "api"


def test_a_transition_from_the_wrong_state_answers_409(loan, officer):
    body = assert_error(
        api(officer).post(f"/api/v1/loans/{loan.pk}/transitions/disburse/", {}, format="json"),
        409,
        "wrong_state",
    )
    assert Deviation.objects.get(pk=body["deviation_id"]).kind == "wrong_state"


def test_an_unknown_transition_is_not_found(loan, manager):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/teleport/", {}, format="json"
    )
    assert_error(response, 404, "not_found")


def test_an_invalid_payload_is_a_400_and_changes_nothing(loan, manager):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/",
        {"reason": "bored", "comment": 5},
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "reason"
    assert not Deviation.objects.exists()


# --- records -------------------------------------------------------------------------------------


def test_records_are_added_only_by_their_role_and_in_their_stage(loan, manager, reviewer):
    url = f"/api/v1/loans/{loan.pk}/interviews/"
    body = {"held_at": NOW, "location": "Branch", "notes": "Met."}

    refused = assert_error(api(reviewer).post(url, body, format="json"), 403, "wrong_role")
    assert Deviation.objects.get(pk=refused["deviation_id"]).channel == "api"
    assert api(manager).post(url, body, format="json").status_code == 201
    assert len(api(manager).get(url).json()) == 1
    review = api(reviewer).post(
        f"/api/v1/loans/{loan.pk}/credit-reports/", {"result": "clean"}, format="json"
    )
    assert_error(review, 409, "wrong_state")


def test_an_upload_of_the_wrong_type_is_a_field_error(cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)
    upload = SimpleUploadedFile("shop.jpg", b"%PDF-1.7", content_type="image/jpeg")

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/documents/", {"kind": "photo", "file": upload}, format="multipart"
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["code"] == "file_content"


# --- the audit trail, deviations, notifications, policy ----------------------------------------


def test_the_audit_trail_is_cursor_paginated(cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)

    body = api(cast.reviewer).get(f"/api/v1/loans/{loan.pk}/audit/").json()

    actions = [e["action"] for e in body["results"]]
    transitions = [a for a in actions if a in process_for(loan).definition.names()]
    assert transitions == ["start_site_visit", "submit_for_review", "submit_for_approval"]
    assert "site_visit_record" in actions
    assert set(body) == {"next", "previous", "results"}


def test_compliance_lists_filters_and_works_deviations(loan, manager, compliance, outsider):
    api(manager).post(f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/", {}, format="json")
    client = api(compliance)

    listed = client.get(
        "/api/v1/deviations/", {"check_code": "interview_recorded", "status": "open"}
    ).json()
    (deviation,) = listed["results"]
    assert (
        client.get("/api/v1/deviations/", {"check_code": "identity_valid"}).json()["results"] == []
    )
    reviews = f"/api/v1/deviations/{deviation['id']}/reviews/"
    assert (
        client.post(reviews, {"status": "acknowledged", "note": "Seen."}, format="json").status_code
        == 201
    )
    assert (
        client.post(reviews, {"status": "resolved", "note": "Coached."}, format="json").status_code
        == 201
    )
    assert client.get(f"/api/v1/deviations/{deviation['id']}/").json()["status"] == "resolved"
    again = client.post(reviews, {"status": "escalated", "note": "Too late."}, format="json")
    assert_error(again, 400, "invalid")


def test_an_account_manager_may_not_read_the_deviation_log(manager):
    assert_error(api(manager).get("/api/v1/deviations/"), 403, "permission_denied")


def test_the_policy_in_force_is_readable(manager):
    body = api(manager).get("/api/v1/policy/").json()
    assert (body["version"], body["direct_payment_business_use_limit"]) == ("defaults", "500000.00")


def test_the_schema_and_the_docs_are_served_without_a_cdn(client, manager):
    client.force_login(manager)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()


# --- found by fuzzing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/loans/null,null/", "/api/v1/loans/1.5/transitions/", "/api/v1/nowhere/"],
)
def test_urls_that_match_no_resource_answer_404_in_json(manager, path):
    response = api(manager).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_site_visit_without_a_co_investigator_is_stored_for_the_check_to_judge(cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/site-visits/",
        {"location": "Shop", "visited_at": NOW},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["co_investigator"] is None


# At the calendar's edges the conversion between the moment's offset, the bank's time zone and
# UTC overflowed (a 500): year 1 and year 9999, with and without an offset.
EXTREME_MOMENTS = [
    "0001-01-01",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-12:00",
]


@pytest.mark.parametrize(
    "moment", ["0816-04-03T10:17:41+12:39", "2999-01-01T00:00:00Z", *EXTREME_MOMENTS]
)
def test_a_record_dated_before_2000_or_after_tomorrow_is_refused(loan, manager, moment):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/credit-authorisations/",
        {"signed_at": moment, "written_consent": True, "purpose": "loan_application"},
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["code"] == "date_out_of_range"
    assert not loan.credit_authorisations.exists()


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
def test_an_action_dated_at_the_calendars_edge_is_a_field_error(loan, manager, moment):
    """Actions parse with the web's forms: the same rule, the same answer."""
    client = api(manager)
    added = client.post(
        f"/api/v1/loans/{loan.pk}/actions/interview_record/",
        {"held_at": moment, "location": "Branch", "notes": "Met."},
        format="json",
    )
    interview = factories.InterviewFactory(loan=loan, interviewer=manager)
    held_at = interview.held_at
    corrected = client.post(
        f"/api/v1/loans/{loan.pk}/actions/interview_correct/",
        {"record": interview.pk, "held_at": moment, "reason": "Typo."},
        format="json",
    )

    for response in (added, corrected):
        body = assert_error(response, 400, "invalid")
        assert body["errors"] == [
            {
                "field": "held_at",
                "message": "Give a date between 2000-01-01 and tomorrow.",
                "code": "date_out_of_range",
            }
        ]
    assert [i.held_at for i in loan.interviews.all()] == [held_at]
    assert not Deviation.objects.exists()


def test_a_deviation_filter_far_outside_time_is_a_400(compliance):
    response = api(compliance).get(
        "/api/v1/deviations/", {"created_after": "0210-11-02T09:06:32+23:08"}
    )

    assert_error(response, 400, "invalid")


# --- found by the hostile-input corpus -----------------------------------------------------------


def test_an_action_takes_json_numbers_and_booleans_as_a_form_would(loan, manager):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/actions/application_edit/",
        {"amount": 90000, "term_months": 24.0, "purpose": "Restock"},
        format="json",
    )

    assert response.status_code == 200, response.content
    loan.refresh_from_db()
    assert (loan.amount, loan.term_months) == (90000, 24)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"$gt": ""}, "Send one value, not a list or an object."),  # was a 500 on a date
        (["Restock", "Speculate"], "Send one value, not a list or an object."),  # was "['Re…"
        (True, "Send a value, not true or false."),  # was the purpose "True"
    ],
)
def test_an_action_field_takes_one_value_of_its_kind(loan, manager, value, message):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/actions/application_edit/", {"purpose": value}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [{"field": "purpose", "message": message, "code": "invalid"}]
    loan.refresh_from_db()
    assert loan.purpose == "Restock for the spring season"


def test_a_checkbox_of_an_action_takes_true_or_false_only(cast):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    contract = {"number": "HT-1", "signed_at": NOW, "witness": cast.manager.pk}

    maybe = api(cast.officer).post(
        f"/api/v1/loans/{loan.pk}/actions/contract_record/",
        {**contract, "signed_face_to_face": "maybe"},  # the form read any text as ticked
        format="json",
    )

    body = assert_error(maybe, 400, "invalid")
    assert body["errors"][0]["field"] == "signed_face_to_face"
    assert loan.contract is None


@pytest.mark.parametrize("path", ["contract/", "actions/contract_record/"])
def test_a_fractional_id_is_not_read_as_a_whole_one(cast, path):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    witness = cast.manager.pk + 0.5  # Django read 1.5 as the id 1
    contract = {"number": "HT-1", "signed_at": NOW, "signed_face_to_face": True}
    client = api(cast.officer)
    send = client.put if path == "contract/" else client.post

    response = send(
        f"/api/v1/loans/{loan.pk}/{path}", {**contract, "witness": witness}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "witness"
    assert loan.contract is None


def test_an_idempotency_key_with_a_control_character_is_refused(loan, manager):
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/interviews/",
        {"held_at": NOW, "location": "Branch", "notes": "Met."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry\x00",  # PostgreSQL answered 500: it cannot compare a NUL
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "idempotency_key"
    assert body["errors"][0]["message"] == "An idempotency key is printable text."
    assert not loan.interviews.exists()


def test_a_product_code_with_a_null_byte_is_a_field_error(loan, manager):
    response = api(manager).patch(
        f"/api/v1/loans/{loan.pk}/", {"product": "MERCHANT\x00"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert [e["field"] for e in body["errors"]] == ["product"]
