"""A collection case from opening to written off through the API alone, with the right people;
the refused steps answer 403/409 with their recorded deviation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loans import services as loan_services
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from recovery.models import CollectionCase
from recovery.services import collection_cases_open
from tests import factories
from tests.api.test_api import api, assert_error
from workflow.audit import events_of, verify_chain
from workflow.models import Deviation

pytestmark = pytest.mark.django_db

NOW = timezone.localtime().isoformat(timespec="seconds")
WHY = {"comment": "Business closed; the guarantor has left the county."}


@pytest.fixture
def case(loan, cast):
    disbursed = advance(loan, LoanState.POST_LOAN, cast)
    loan_services.days_past_due_update(loan=disbursed, days_past_due=400)
    (opened,) = collection_cases_open()
    return opened


@pytest.fixture
def people(branch, manager, approver):
    return {
        "manager": api(manager),
        "approver": api(approver),
        "approver_b": api(
            factories.staff(Role.APPROVER, branch=branch, username="approver3b", authority_level=3)
        ),
        "head": api(factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")),
    }


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def url(case, rest=""):
    return f"/api/v1/collections/{case.pk}/{rest}"


def test_a_case_goes_from_open_to_written_off_through_the_api_alone(case, people):
    manager, head = people["manager"], people["head"]
    listed = ok(manager.get("/api/v1/collections/"))
    assert [row["id"] for row in listed["results"]] == [case.pk]
    assert listed["results"][0]["state"] == "open"

    ok(
        manager.post(
            url(case, "actions/contact_log/"),
            {"contacted_at": NOW, "channel": "visit", "reached": True, "notes": "Met at home."},
            format="json",
        ),
        201,
    )
    ok(manager.post(url(case, "transitions/mark_contacted/"), {}, format="json"))
    ok(manager.post(url(case, "transitions/propose_write_off/"), WHY, format="json"))
    for who in ("approver", "approver_b"):
        ok(
            people[who].post(
                url(case, "actions/write_off_endorse/"), {"note": "Loss, agreed."}, format="json"
            ),
            201,
        )
    options = ok(head.get(url(case, "transitions/")))
    (write_off,) = [o for o in options if o["name"] == "write_off"]
    waiting = [c["code"] for c in write_off["checks"] if not c["passed"]]
    assert waiting == ["case_comment_given"]  # only what the head types with it
    body = ok(head.post(url(case, "transitions/write_off/"), WHY, format="json"))

    assert body["state"] == "written_off"
    assert len(body["endorsements"]) == 2
    assert not Deviation.objects.exists()
    trail = ok(manager.get(url(case, "audit/")))["results"]
    assert [event["action"] for event in trail][-1] == "write_off"
    assert verify_chain(events_of(CollectionCase.objects.get(pk=case.pk))).intact


def test_refusals_answer_with_their_deviation(case, people):
    manager, approver = people["manager"], people["approver"]

    early = manager.post(
        url(case, "transitions/take_promise/"),
        {"promised_amount": "500.00", "promised_date": str(timezone.localdate())},
        format="json",
    )
    body = assert_error(early, 409, "checks_failed")
    assert Deviation.objects.filter(pk=body["deviation_id"]).exists()
    assert [e["code"] for e in body["errors"]] == ["contact_logged"]

    wrong = approver.post(url(case, "transitions/mark_contacted/"), {}, format="json")
    assert Deviation.objects.get(pk=assert_error(wrong, 403, "wrong_role")["deviation_id"])


def test_bad_input_is_a_400_and_records_nothing(case, people):
    response = people["manager"].post(
        url(case, "actions/contact_log/"), {"channel": "pigeon"}, format="json"
    )

    assert_error(response, 400, "invalid")
    assert not Deviation.objects.exists()


def test_another_branch_neither_lists_nor_reaches_the_case(case, outsider):
    client = api(outsider)

    assert ok(client.get("/api/v1/collections/"))["results"] == []
    assert_error(client.get(url(case)), 404, "not_found")


def test_the_schema_describes_the_collection_endpoints(client, manager):
    client.force_login(manager)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/collections/{id}/transitions/{name}/" in schema
    assert "/api/v1/collections/{id}/actions/{name}/" in schema
