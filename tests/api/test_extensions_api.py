"""Extension (展期) in the API: the steps as actions, the extensions read back, the loan marked
extended, refusals answered with their deviation, and the endpoints in the OpenAPI schema."""

from __future__ import annotations

import pytest

from loans.journeys import advance
from loans.states import LoanState
from tests.api.test_api import api

pytestmark = pytest.mark.django_db

WHY = "The harvest came late; sales will cover the loan by autumn."
OPINION = "Cash flow checked against the buyer's contract; the delay is credible."
NOTE = "Approved: the new maturity matches the buyer's payment date."


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def step(user, loan, name: str, body: dict):
    return api(user).post(f"/api/v1/loans/{loan.pk}/actions/{name}/", body, format="json")


def test_an_extension_asked_reviewed_and_approved_through_the_api(disbursed, cast):
    asked = step(cast.manager, disbursed, "extension_request", {"months": 6, "reason": WHY})
    assert asked.status_code == 200, asked.content
    extension_id = asked.json()["record"]

    reviewed = step(
        cast.reviewer, disbursed, "extension_review", {"record": extension_id, "opinion": OPINION}
    )
    assert reviewed.status_code == 200, reviewed.content
    approved = step(
        cast.approver, disbursed, "extension_approve", {"record": extension_id, "note": NOTE}
    )
    assert approved.status_code == 200, approved.content

    loan = approved.json()["loan"]
    assert (loan["extended"], loan["extension_months"]) == (True, 6)
    assert loan["risk_class"] == 1
    listed = api(cast.manager).get(f"/api/v1/loans/{disbursed.pk}/extensions/").json()
    assert [(e["id"], e["status"], e["schedule_version"]) for e in listed] == [
        (extension_id, "approved", 2)
    ]
    assert (listed[0]["reviewed_by"], listed[0]["decided_by"]) == ("reviewer1", "approver3")
    schedule = api(cast.manager).get(f"/api/v1/loans/{disbursed.pk}/schedule/").json()
    assert (schedule["version"], schedule["reason"], len(schedule["instalments"])) == (
        2,
        "extension",
        18,
    )


def test_a_refused_step_answers_with_its_deviation(disbursed, cast):
    over = step(cast.manager, disbursed, "extension_request", {"months": 13, "reason": WHY})

    assert over.status_code == 409, over.content
    body = over.json()
    assert body["code"] == "checks_failed"
    assert body["deviation_id"]
    asked = step(cast.manager, disbursed, "extension_request", {"months": 3, "reason": WHY})
    wrong = step(
        cast.manager,
        disbursed,
        "extension_review",
        {"record": asked.json()["record"], "opinion": OPINION},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_role")


def test_a_step_on_an_extension_names_it(disbursed, cast):
    answer = step(cast.reviewer, disbursed, "extension_review", {"opinion": OPINION})

    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == ["record"]


def test_another_branch_does_not_see_the_extensions(disbursed, outsider):
    assert api(outsider).get(f"/api/v1/loans/{disbursed.pk}/extensions/").status_code == 404


def test_the_extensions_are_documented_in_the_openapi_schema(client, manager):
    client.force_login(manager)

    schema = client.get("/api/schema/").content.decode()

    assert "/api/v1/loans/{id}/extensions/" in schema
    assert "Extension" in schema
    assert "extension_request" in schema
