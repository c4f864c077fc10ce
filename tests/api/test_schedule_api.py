"""The repayment schedule in the API (read-only) and on the loan page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from loans.journeys import act, advance
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


# --- overdue interest to date and what is due now -------------------------------------------------
# Instalment 1 of 80,000 at 3.80 % over 12 months: principal 6,551.35, interest 253.33. Overdue
# interest: unpaid principal x 3.80 % x (1 + 50 %) / 360 a day, to the fen.


def first_due(loan):
    return loan.schedules.get().instalments.get(number=1).due_date


def on_day(day):
    return time_machine.travel(
        timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12)), tick=False
    )


def test_the_schedule_shows_the_overdue_interest_accrued_and_what_is_due(
    client, disbursed, manager
):
    with on_day(first_due(disbursed) + timedelta(days=10)):
        client.force_login(manager)  # a session of that day
        body = client.get(f"/api/v1/loans/{disbursed.pk}/schedule/").json()

    # 6,551.35 x 0.038 x 1.5 / 360 x 10 = 10.3729... -> 10.37
    assert body["instalments"][0]["overdue_interest_to_date"] == "10.37"
    assert body["instalments"][1]["overdue_interest_to_date"] == "0.00"
    assert body["due_now"] == {
        "on": (first_due(disbursed) + timedelta(days=10)).isoformat(),
        "principal": "6551.35",
        "interest": "253.33",
        "overdue_interest": "10.37",
        "total": "6815.05",
    }


def test_overdue_interest_charged_by_a_repayment_and_accrued_since_are_both_counted(
    client, disbursed, manager, cast
):
    day = first_due(disbursed) + timedelta(days=4)
    with on_day(day):
        act(
            disbursed,
            "repayment_record",
            cast.officer,
            principal=Decimal(1000),
            paid_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12)),
        )
    # Charged for 4 days: 6,551.35 x 0.057 / 360 x 4 = 4.149... -> 4.15, paid first; then interest
    # 253.33 and principal 742.52, leaving 5,808.83, on which 6 more days accrue by day 10:
    # 5,808.83 x 0.057 / 360 x 6 = 5.518... -> 5.52.
    with on_day(first_due(disbursed) + timedelta(days=10)):
        client.force_login(manager)
        body = client.get(f"/api/v1/loans/{disbursed.pk}/schedule/").json()
        page = client.get(f"/loans/{disbursed.pk}/").content.decode()

    first = body["instalments"][0]
    assert (first["overdue_interest_charged"], first["overdue_interest_paid"]) == ("4.15", "4.15")
    assert first["overdue_interest_to_date"] == "5.52"
    assert (body["due_now"]["principal"], body["due_now"]["interest"]) == ("5808.83", "0.00")
    assert body["due_now"]["total"] == "5814.35"
    assert 'data-testid="due-now-total">¥5,814.35<' in page
    assert "¥5.52" in page
    assert (first_due(disbursed) + timedelta(days=10)).strftime("%Y-%m-%d") in page
    assert "5.7000% a year" in page  # 3.80 % x 1.5


def test_an_earlier_version_has_no_figures_of_today(client, disbursed, manager, cast):
    day = first_due(disbursed) - timedelta(days=3)
    with on_day(day):
        act(
            disbursed,
            "repayment_record",
            cast.officer,
            principal=Decimal(20_000),
            paid_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12)),
        )
    client.force_login(manager)

    body = client.get(f"/api/v1/loans/{disbursed.pk}/schedule/?version=1").json()

    assert body["due_now"] is None
    assert body["instalments"][0]["overdue_interest_to_date"] is None
