"""One regression test for each bypass of the rules listed by the issue that led every write
to a loan's file to become an action the engine decides (loans/workflow.py ``ACTIONS``).

Each test goes through an interface the code before that rework had too (the REST API under
/api/v1/, the web pages with Django's test client, or services present in both), so that there it
fails on an assertion about behaviour, not on an import. Where a test also uses an interface that
is new, its docstring says so.

The issue's Django-admin bypasses (loan fields editable in any state; inlines editing or deleting
reviews, approvals, the contract's witness, the co-investigator and drawdowns; loans deleted) are
covered by tests/integration/test_admin.py: process data is view-only there, superusers included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.choices import RiskClass
from loans.journeys import EVIDENCE_PHOTO, Cast, advance, prepare_for_review, prepare_to_leave
from loans.models import Branch, Contract, Loan, LoanProduct, User
from loans.roles import Role
from loans.selectors import audit_trail_of
from loans.workflow import LoanState
from tests import factories
from tests.api.test_api import api
from workflow.models import Deviation
from workflow.timers import running

pytestmark = pytest.mark.django_db

# 09:30 in Beijing (UTC+8) is 01:30 UTC: the same calendar day in both.
BEIJING_MORNING = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
WITHDRAWAL = {"reason": "other", "comment": "The borrower no longer needs the loan."}


def local(moment: datetime) -> str:
    """``moment`` as the bank's clock shows it, in ISO 8601 with its offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def visit_report(**fields: Any) -> dict[str, Any]:
    """A complete site-visit report as the API takes it."""
    return {
        "visited_at": local(timezone.now()),
        "location": "No. 8 Market Street",
        "business": "Operating normally.",
        "cash_flow": "Takings checked against bank statements.",
        "repayment_source": "Operating income.",
        "guarantee": "Guarantor met in person.",
        **fields,
    }


def error_codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def error_fields(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# --- the application ---------------------------------------------------------------------------


def test_an_application_cannot_be_edited_during_the_site_visit(loan: Loan, cast: Cast) -> None:
    """Bypass: the application stayed editable during the site visit (a 60-month term)."""
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    response = api(cast.manager).patch(
        f"/api/v1/loans/{loan.pk}/", {"term_months": 60}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "wrong_state"
    loan.refresh_from_db()
    assert loan.term_months == 12


def test_submitting_for_review_re_runs_the_product_limits(cast: Cast, product: LoanProduct) -> None:
    """Bypass: submit_for_review did not re-run the product-limit check."""
    product.max_term_months = 60
    product.save()
    loan = factories.LoanFactory(account_manager=cast.manager, product=product, term_months=48)
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)
    product.max_term_months = 36  # the product's limits change while the loan is on site
    product.save()

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/submit_for_review/", {}, format="json"
    )

    assert response.status_code == 409, response.content
    assert "within_product_limits" in error_codes(response)
    loan.refresh_from_db()
    assert loan.state == LoanState.SITE_VISIT


# --- the people a record names -----------------------------------------------------------------


@pytest.mark.parametrize("person", ["outsider", "reviewer"])
def test_the_co_investigator_is_another_account_manager_of_the_branch(
    loan: Loan, cast: Cast, person: str, request: pytest.FixtureRequest
) -> None:
    """Bypass: the API took any user as co-investigator; only the web form restricted it."""
    co_investigator: User = request.getfixturevalue(person)
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/site-visits/",
        visit_report(co_investigator=co_investigator.pk),
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["co_investigator"]
    assert not loan.site_visits.exists()


def test_the_disbursement_officer_cannot_witness_the_contract(loan: Loan, cast: Cast) -> None:
    """Bypass: a disbursement officer could name himself the contract's witness."""
    loan = advance(loan, LoanState.DISBURSEMENT, cast)

    response = api(cast.officer).put(
        f"/api/v1/loans/{loan.pk}/contract/",
        {
            "number": "C-0001",
            "signed_at": local(timezone.now()),
            "signed_face_to_face": True,
            "witness": cast.officer.pk,
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["witness"]
    assert not Contract.objects.filter(loan=loan).exists()


def test_only_the_loans_account_manager_edits_or_withdraws_it(loan: Loan, cast: Cast) -> None:
    """Bypass: any account manager of the branch could edit or withdraw another's loan."""
    colleague = api(cast.co_investigator)

    edit = colleague.patch(f"/api/v1/loans/{loan.pk}/", {"amount": "90000.00"}, format="json")
    withdrawal = colleague.post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", WITHDRAWAL, format="json"
    )

    assert (edit.status_code, withdrawal.status_code) == (403, 403)
    assert error_codes(edit) == error_codes(withdrawal) == ["loan_owner"]
    loan.refresh_from_db()
    assert (loan.amount, loan.state) == (Decimal(80_000), LoanState.INTAKE)


# --- records in their own stage ----------------------------------------------------------------


def test_an_inspection_dated_before_the_disbursement_is_refused(
    cast: Cast, product: LoanProduct
) -> None:
    """Bypass: an inspection dated before the disbursement was accepted and satisfied closing."""
    with time_machine.travel(BEIJING_MORNING, tick=False) as clock:
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        loan = advance(loan, LoanState.POST_LOAN, cast)
        clock.shift(timedelta(days=20))  # the first inspection (due after 15 days) is overdue
        client = api(cast.manager)

        response = client.post(
            f"/api/v1/loans/{loan.pk}/inspections/",
            {
                "kind": "first",
                "mode": "on_site",
                "inspected_at": local(BEIJING_MORNING - timedelta(days=1)),
                "findings": "Funds used as stated.",
                "funds_used_as_stated": True,
            },
            format="json",
        )
        closing = client.post(f"/api/v1/loans/{loan.pk}/transitions/close/", {}, format="json")

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["inspected_at"]
    assert not loan.inspections.exists()
    assert closing.status_code == 409
    assert "no_inspection_overdue" in error_codes(closing)


def test_a_contract_recorded_again_keeps_its_earlier_version(loan: Loan, cast: Cast) -> None:
    """Bypass: recording the contract again overwrote it, with no history."""
    loan = advance(loan, LoanState.DISBURSEMENT, cast)
    client = api(cast.officer)
    url = f"/api/v1/loans/{loan.pk}/contract/"
    contract = {
        "signed_at": local(timezone.now()),
        "signed_face_to_face": True,
        "witness": cast.manager.pk,
    }

    first = client.put(url, {**contract, "number": "C-0001"}, format="json")
    second = client.put(url, {**contract, "number": "C-0002"}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert client.get(url).json()["number"] == "C-0002"
    kept = Contract.objects.filter(loan=loan).order_by("pk").values_list("number", flat=True)
    assert list(kept) == ["C-0001", "C-0002"]


def test_conditions_cannot_be_fulfilled_on_a_withdrawn_loan(loan: Loan, cast: Cast) -> None:
    """Bypass: an approval condition could be marked fulfilled on a withdrawn loan."""
    loan = advance(loan, LoanState.DISBURSEMENT, cast)
    withdrawn = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", WITHDRAWAL, format="json"
    )
    condition = loan.approval_conditions.get()

    response = api(cast.officer).post(
        f"/api/v1/loans/{loan.pk}/conditions/{condition.pk}/fulfil/",
        {"fulfilment_note": "Guarantor signed in person."},
        format="json",
    )

    assert withdrawn.status_code == 200, withdrawn.content
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "wrong_state"
    condition.refresh_from_db()
    assert condition.fulfilled_at is None


def test_photos_are_attached_to_a_site_visit_only_during_it(loan: Loan, cast: Cast) -> None:
    """Bypass: photos could be attached to a site visit long passed."""
    loan = advance(loan, LoanState.POST_LOAN, cast)
    visit = loan.site_visits.get()
    photos = visit.evidence.count()

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/documents/",
        {
            "kind": "photo",
            "site_visit": visit.pk,
            "file": SimpleUploadedFile("late.jpg", EVIDENCE_PHOTO, content_type="image/jpeg"),
        },
        format="multipart",
    )

    assert response.status_code == 409, response.content
    assert error_codes(response) == ["evidence_of_the_current_stage"]
    assert visit.evidence.count() == photos


# --- separation of duties ----------------------------------------------------------------------


def test_whoever_worked_the_application_cannot_review_it(
    loan: Loan, cast: Cast, branch: Branch
) -> None:
    """Bypass: a user holding two roles sold a loan (records authored) and then reviewed it.

    Delegation (``/actions/delegate_assign/``) did not exist before: there, any account manager
    of the branch wrote the loan's records without it, and the request answers 404.
    """
    both = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    api(head).post(
        f"/api/v1/loans/{loan.pk}/actions/delegate_assign/", {"delegate": both.pk}, format="json"
    )
    interviewed = api(both).post(
        f"/api/v1/loans/{loan.pk}/interviews/",
        {"held_at": local(timezone.now()), "location": "Market stall", "notes": "Sold the loan."},
        format="json",
    )
    loan = advance(loan, LoanState.REVIEW, cast)

    response = api(both).post(
        f"/api/v1/loans/{loan.pk}/credit-reports/", {"result": "clean"}, format="json"
    )

    assert interviewed.status_code == 201, interviewed.content
    assert response.status_code == 403, response.content
    assert (response.json()["code"], error_codes(response)) == (
        "wrong_person",
        ["reviewer_independent"],
    )
    assert not loan.credit_reports.exists()


def test_whoever_queried_the_credit_report_cannot_approve_the_loan(
    loan: Loan, cast: Cast, branch: Branch
) -> None:
    """Bypass: involvement ignored credit-report queries: the querying reviewer approved."""
    both = factories.staff(
        Role.REVIEWER, Role.APPROVER, branch=branch, username="dual", authority_level=3
    )
    loan = advance(loan, LoanState.REVIEW, cast)
    queried = api(both).post(
        f"/api/v1/loans/{loan.pk}/credit-reports/", {"result": "clean"}, format="json"
    )
    review = api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/reviews/",
        {"monthly_income": "20000.00", "monthly_debt_payments": "7000.00", "opinion": "Sound."},
        format="json",
    )
    submitted = api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/transitions/submit_for_approval/", {}, format="json"
    )

    response = api(both).post(
        f"/api/v1/loans/{loan.pk}/transitions/approve/",
        {"conditions": [], "comment": "Approved within my authority."},
        format="json",
    )

    assert [r.status_code for r in (queried, review, submitted)] == [201, 201, 200]
    assert response.status_code == 403, response.content
    assert (response.json()["code"], error_codes(response)) == (
        "wrong_person",
        ["approver_independent"],
    )
    loan.refresh_from_db()
    assert loan.state == LoanState.APPROVAL


def test_an_account_manager_alone_cannot_upgrade_the_risk_class(loan: Loan, cast: Cast) -> None:
    """Bypass: an account manager alone upgraded the risk class (audited as ``web`` via API).

    The reviewer's confirmation (``/actions/classification_upgrade_confirm/``) did not exist
    before; the old code fails earlier, on the class the inspection set by itself.
    """
    loan = advance(loan, LoanState.POST_LOAN, cast)
    services.days_past_due_update(loan=loan, days_past_due=45)  # special mention
    services.days_past_due_update(loan=loan, days_past_due=0)  # repaid: the class stays
    seen = {event.pk for event in audit_trail_of(loan)}

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/inspections/",
        {
            "kind": "first",
            "mode": "on_site",
            "inspected_at": local(timezone.now()),
            "findings": "Arrears repaid; business recovered.",
            "funds_used_as_stated": True,
            "proposed_class": RiskClass.NORMAL,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    loan.refresh_from_db()
    assert loan.risk_class == RiskClass.SPECIAL_MENTION  # proposed, awaiting confirmation
    new_events = [event for event in audit_trail_of(loan) if event.pk not in seen]
    assert new_events
    assert {event.channel for event in new_events} == {"api"}
    confirmed = api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/actions/classification_upgrade_confirm/",
        {"record": response.json()["id"]},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.content
    loan.refresh_from_db()
    assert loan.risk_class == RiskClass.NORMAL


# --- dead ends: values that would block the loan later are refused as they are entered ---------


def test_an_application_above_the_product_cap_is_refused_as_it_is_entered(
    manager: User, product: LoanProduct
) -> None:
    """Dead end: an application over the product's cap was accepted, to be blocked at intake."""
    borrower = factories.BorrowerFactory(branch=manager.branch)

    response = api(manager).post(
        "/api/v1/loans/",
        {"borrower": borrower.pk, "product": product.code, "amount": "5000000.00"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["amount"]
    assert not Loan.objects.exists()


def test_a_site_visit_dated_in_the_future_is_refused_as_it_is_entered(
    loan: Loan, cast: Cast
) -> None:
    """Dead end: a future-dated site visit was accepted, to block the review later."""
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    tomorrow = timezone.now() + timedelta(days=1)

    response = api(cast.manager).post(
        f"/api/v1/loans/{loan.pk}/site-visits/",
        visit_report(co_investigator=cast.co_investigator.pk, visited_at=local(tomorrow)),
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["visited_at"]
    assert not loan.site_visits.exists()


def test_a_drawdown_above_the_approved_amount_is_refused_as_it_is_entered(
    loan: Loan, cast: Cast
) -> None:
    """Dead end: a drawdown above the approved amount was accepted, to block disbursement."""
    loan = advance(loan, LoanState.DISBURSEMENT, cast)

    response = api(cast.officer).post(
        f"/api/v1/loans/{loan.pk}/drawdowns/",
        {"amount": "80000.01", "method": "own_account", "direct_payment_ground": "business_use"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == ["amount"]
    assert not loan.drawdowns.exists()


def test_a_zero_income_in_the_review_form_is_a_plain_field_error(
    client: Client, loan: Loan, cast: Cast
) -> None:
    """Dead end: a zero income in the review form showed a raw database constraint error."""
    loan = advance(loan, LoanState.REVIEW, cast)
    api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/credit-reports/", {"result": "clean"}, format="json"
    )
    client.force_login(cast.reviewer)

    response = client.post(
        reverse("loans:record-add", args=[loan.pk, "reviews"]),
        {"monthly_income": "0", "monthly_debt_payments": "0", "opinion": "No income."},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-monthly_income"' in page
    assert "onstraint" not in page
    assert not loan.reviews.exists()


# --- noise: the deviation log records attempts against the rules, nothing else -----------------


def test_a_withdrawal_without_a_reason_is_answered_not_recorded(loan: Loan, manager: User) -> None:
    """Noise: a withdrawal without its reason was recorded as a deviation."""
    response = api(manager).post(
        f"/api/v1/loans/{loan.pk}/transitions/withdraw/", {}, format="json"
    )

    assert response.status_code == 400, response.content
    assert not Deviation.objects.exists()
    loan.refresh_from_db()
    assert loan.state == LoanState.INTAKE


def test_a_step_the_preflight_shows_as_blocked_cannot_be_clicked(
    client: Client, loan: Loan, manager: User
) -> None:
    """Noise: a button the preflight showed as blocked could be clicked into a deviation."""
    client.force_login(manager)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert "disabled" in _button_of(page, "start_site_visit")  # no interview yet
    assert "disabled" not in _button_of(page, "withdraw")  # waits only for its reason


def _button_of(page: str, transition: str) -> str:
    form = re.search(rf'data-transition="{transition}".*?</form>', page, re.DOTALL)
    assert form is not None, transition
    button = re.search(r"<button[^>]*>", form.group(0))
    assert button is not None, transition
    return button.group(0)


def test_fifty_submits_of_one_form_perform_its_step_once(
    client: Client, loan: Loan, manager: User
) -> None:
    """Noise: 50 submits of the same form performed its step 50 times (or left deviations)."""
    client.force_login(manager)
    interview = {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": "Branch office",
        "notes": "Met the borrower.",
        "idempotency_key": "interview-form-1",
    }
    withdrawal = {**WITHDRAWAL, "idempotency_key": "withdraw-form-1"}

    recorded = [
        client.post(reverse("loans:record-add", args=[loan.pk, "interviews"]), interview)
        for _ in range(50)
    ]
    withdrawn = [
        client.post(reverse("loans:transition", args=[loan.pk, "withdraw"]), withdrawal)
        for _ in range(50)
    ]

    assert {response.status_code for response in recorded + withdrawn} == {302}
    assert loan.interviews.count() == 1
    assert [event.action for event in audit_trail_of(loan)].count("withdraw") == 1
    assert not Deviation.objects.exists()


# --- dates are the bank's calendar days --------------------------------------------------------


def test_a_visit_at_nine_beijing_time_is_not_dated_in_the_future(
    cast: Cast, product: LoanProduct
) -> None:
    """Dates are UTC: a visit at 09:00 Beijing time read "dated in the future" at 08:30."""
    with time_machine.travel(BEIJING_MORNING - timedelta(days=1), tick=False) as clock:
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        loan = advance(loan, LoanState.SITE_VISIT, cast)
        clock.move_to(BEIJING_MORNING - timedelta(hours=1))  # 08:30 in Beijing
        prepare_for_review(loan, cast, at=BEIJING_MORNING - timedelta(minutes=30))  # 09:00

        response = api(cast.manager).post(
            f"/api/v1/loans/{loan.pk}/transitions/submit_for_review/", {}, format="json"
        )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == LoanState.REVIEW


def test_a_visit_on_the_applications_day_is_not_before_the_application(
    cast: Cast, product: LoanProduct
) -> None:
    """Dates are UTC: a visit on the application's day read "before the application"."""
    with time_machine.travel(BEIJING_MORNING, tick=False):  # applied at 09:30 in Beijing
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        loan = advance(loan, LoanState.SITE_VISIT, cast)
        prepare_for_review(loan, cast, at=BEIJING_MORNING - timedelta(minutes=30))  # 09:00

        response = api(cast.manager).post(
            f"/api/v1/loans/{loan.pk}/transitions/submit_for_review/", {}, format="json"
        )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == LoanState.REVIEW


def test_stage_deadlines_count_business_days_on_the_banks_calendar(
    manager: User, product: LoanProduct
) -> None:
    """Dates are UTC: business days were counted on UTC dates (workflow/calendar.py)."""
    borrower = factories.BorrowerFactory(branch=manager.branch)
    friday_evening_utc = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Saturday 01:00 in Beijing

    with time_machine.travel(friday_evening_utc, tick=False):
        response = api(manager).post(
            "/api/v1/loans/",
            {"borrower": borrower.pk, "product": product.code, "amount": "80000.00"},
            format="json",
        )

    assert response.status_code == 201, response.content
    timer = running(Loan.objects.get(pk=response.json()["id"])).get()
    # Intake has 3 business days: Monday, Tuesday and Wednesday, from Saturday in Beijing.
    assert timezone.localtime(timer.due_at).isoformat() == "2026-03-11T01:00:00+08:00"
    assert timezone.localtime(timer.remind_at).isoformat() == "2026-03-10T01:00:00+08:00"
