"""The repayment schedule in the API (read-only) and on the loan page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loans.journeys import advance
from loans.states import LoanState

pytestmark = pytest.mark.django_db


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def test_the_schedule_in_force_is_read_with_its_instalments(client, disbursed, manager):
    client.force_login(manager)

    body = client.get(f"/api/v1/loans/{disbursed.pk}/schedule/").json()

    assert (body["version"], body["versions"], body["method"]) == (1, [1], "equal_instalments")
    assert body["annual_rate"] == "3.8000"
    assert len(body["instalments"]) == 12
    assert sum(Decimal(row["principal"]) for row in body["instalments"]) == Decimal(80_000)
    assert client.get(f"/api/v1/loans/{disbursed.pk}/schedule/?version=2").status_code == 404


def test_the_schedule_is_read_only(client, disbursed, manager):
    client.force_login(manager)

    response = client.post(f"/api/v1/loans/{disbursed.pk}/schedule/", {}, format="json")

    assert response.status_code == 405


def test_another_branch_does_not_see_the_schedule(client, disbursed, outsider):
    client.force_login(outsider)

    assert client.get(f"/api/v1/loans/{disbursed.pk}/schedule/").status_code == 404


def test_the_contract_states_its_rate_and_basis(client, disbursed, manager):
    client.force_login(manager)

    body = client.get(f"/api/v1/loans/{disbursed.pk}/contract/").json()

    assert (body["annual_rate"], body["lpr_tenor"], body["lpr_rate"], body["spread_bps"]) == (
        "3.8000",
        "1y",
        "3.0000",
        80,
    )


def test_the_schedule_is_documented_in_the_openapi_schema(client, manager):
    client.force_login(manager)

    schema = client.get("/api/schema/").content.decode()

    assert "/api/v1/loans/{id}/schedule/" in schema
    assert "Schedule" in schema


def test_the_loan_page_shows_the_schedule(client, disbursed, manager):
    client.force_login(manager)

    page = client.get(f"/loans/{disbursed.pk}/").content.decode()

    assert 'data-testid="repayment-schedule"' in page
    assert "¥253.33" in page  # the first instalment's interest
