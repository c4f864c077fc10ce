"""Actions from the web pages and the API: a correction shown on the timeline with its diff, a
policy exception requested from a blocked soft check and decided by the branch head."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.choices import RiskClass
from loans.journeys import act, advance, prepare_to_leave
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.api.test_api import api
from workflow.audit import events_of
from workflow.models import Deviation, ExceptionRequest, PolicyException

pytestmark = pytest.mark.django_db

JUSTIFICATION = "Third photo lost to a camera fault; shop re-visited by phone call."


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def visited(loan, cast):
    """A loan in the site visit with its visit on file (and confirmed), ready to leave."""
    return prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)


@pytest.fixture
def short_of_evidence(visited, cast):
    act(
        visited,
        "document_cancel",
        cast.manager,
        record=visited.documents.first(),
        reason="Blurred photo.",
    )
    return visited


def minute(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- corrections ---------------------------------------------------------------------------


def test_a_wrongly_dated_visit_is_corrected_and_the_timeline_shows_the_change(
    mid_morning, client, visited, cast
):
    visit = visited.site_visits.get()
    wrong = visit.visited_at
    right = wrong - timedelta(minutes=30)
    url = reverse("loans:record-action", args=[visited.pk, "site_visit_correct", visit.pk])
    client.force_login(cast.manager)

    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"]["visited_at"].value() is not None  # the record as it reads

    done = client.post(
        url,
        {
            **{k: v for k, v in form.context["form"].initial.items() if v is not None},
            "co_investigator": cast.co_investigator.pk,
            "visited_at": minute(right),
            "reason": "Typed the time of the call, not of the visit.",
        },
        follow=True,
    )

    assert done.redirect_chain[-1][0] == reverse("loans:detail", args=[visited.pk])
    visit.refresh_from_db()
    assert minute(visit.visited_at) == minute(right)
    assert visit.co_investigator_confirmed_at is None  # he confirms the visit as it now reads
    row = done.context["events"][-1]
    assert row.event.action == "site_visit_correct"
    assert [(f.before, f.after) for f in row.facts] == [
        (timezone.localtime(wrong).strftime("%Y-%m-%d %H:%M"), minute(right).replace("T", " "))
    ]
    page = done.content.decode()
    assert "Typed the time of the call, not of the visit." in page
    assert "visited_at" not in page  # the field in words, never its code


def test_a_correction_without_a_reason_is_a_form_error_not_a_deviation(client, visited, cast):
    visit = visited.site_visits.get()
    url = reverse("loans:record-action", args=[visited.pk, "site_visit_correct", visit.pk])
    client.force_login(cast.manager)

    response = client.post(url, {"visited_at": minute(visit.visited_at), "reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not Deviation.objects.exists()


def test_a_record_is_corrected_and_cancelled_through_the_api(visited, cast):
    visit = visited.site_visits.get()
    client = api(cast.manager)
    base = f"/api/v1/loans/{visited.pk}/actions"

    corrected = client.post(
        f"{base}/site_visit_correct/",
        {"record": visit.pk, "location": "人民路 10 号", "reason": "Wrong house number."},
        format="json",
    )

    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["record"] == visit.pk
    visit.refresh_from_db()
    assert visit.location == "人民路 10 号"
    assert visit.business  # what was not sent is kept

    photo = visited.documents.first()
    missing = client.post(f"{base}/document_cancel/", {"record": photo.pk}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "reason"
    cancelled = client.post(
        f"{base}/document_cancel/",
        {"record": photo.pk, "reason": "Blurred photo, shows nothing."},
        format="json",
    )
    assert cancelled.status_code == 200
    assert not visited.documents.filter(pk=photo.pk).exists()
    assert not Deviation.objects.exists()


def test_a_record_of_another_loan_is_not_found_through_the_api(visited, cast):
    other = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.INTAKE, cast)
    visit = visited.site_visits.get()

    response = api(cast.manager).post(
        f"/api/v1/loans/{other.pk}/actions/site_visit_correct/",
        {"record": visit.pk, "location": "x", "reason": "y"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_api_lists_the_actions_open_to_the_user(visited, cast):
    body = api(cast.co_investigator).get(f"/api/v1/loans/{visited.pk}/actions/").json()

    by_name = {row["name"]: row for row in body}
    assert by_name["site_visit_record"]["allowed"] is False  # not his loan
    assert by_name["site_visit_correct"]["names_record"] is True
    assert all(isinstance(row["label"], str) and row["label"] for row in body)


def test_an_action_on_a_record_names_its_record(visited, cast):
    response = api(cast.manager).post(
        f"/api/v1/loans/{visited.pk}/actions/site_visit_cancel/",
        {"reason": "Entered twice by mistake."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "record"
    assert not Deviation.objects.exists()


def test_an_unknown_action_is_not_found(visited, cast):
    response = api(cast.manager).post(
        f"/api/v1/loans/{visited.pk}/actions/teleport/", {}, format="json"
    )

    assert response.status_code == 404


# --- policy exceptions ---------------------------------------------------------------------


def test_an_exception_is_requested_from_the_blocked_step_and_granted_by_the_head(
    client, short_of_evidence, cast, head
):
    loan = short_of_evidence
    client.force_login(cast.manager)
    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    link = (
        reverse("loans:action", args=[loan.pk, "exception_request"])
        + "?transition=submit_for_review&amp;check_code=evidence_collected"
    )
    assert link in page  # offered from the blocked soft check

    requested = client.post(
        reverse("loans:action", args=[loan.pk, "exception_request"]),
        {
            "transition": "submit_for_review",
            "check_code": "evidence_collected",
            "reason": JUSTIFICATION,
        },
    )
    assert requested.status_code == 302
    request = ExceptionRequest.objects.get()

    client.force_login(head)
    overview = client.get(reverse("loans:overview"))
    (row,) = overview.context["pending_requests"]
    assert row.loan == loan
    assert str(row.check) == "The visit's location and enough evidence are on file"
    assert "evidence_collected" not in overview.content.decode()
    detail = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    grant_url = reverse("loans:record-action", args=[loan.pk, "exception_grant", request.pk])
    assert grant_url in detail

    granted = client.post(grant_url, {"note": JUSTIFICATION})

    assert granted.status_code == 302
    request.refresh_from_db()
    assert request.status == ExceptionRequest.Status.GRANTED
    grant = PolicyException.objects.get()
    assert grant.deviation.severity == Deviation.Severity.LOW
    assert client.get(reverse("loans:overview")).context["pending_requests"] == []
    client.force_login(cast.manager)
    client.post(reverse("loans:transition", args=[loan.pk, "submit_for_review"]))
    loan.refresh_from_db()
    assert loan.state == LoanState.REVIEW


def test_the_grant_links_are_for_the_branch_head_only(client, short_of_evidence, cast):
    loan = short_of_evidence
    act(
        loan,
        "exception_request",
        cast.manager,
        transition="submit_for_review",
        check_code="evidence_collected",
        reason=JUSTIFICATION,
    )
    client.force_login(cast.manager)

    response = client.get(reverse("loans:detail", args=[loan.pk]))

    assert response.context["may_decide_exceptions"] is False
    assert "exception_grant" not in response.content.decode()


def test_an_exception_is_requested_and_declined_through_the_api(short_of_evidence, cast, head):
    loan = short_of_evidence
    base = f"/api/v1/loans/{loan.pk}/actions"
    asked = api(cast.manager).post(
        f"{base}/exception_request/",
        {"transition": "submit_for_review", "check_code": "evidence_collected", "reason": "x"},
        format="json",
    )
    assert asked.status_code == 400  # a reason, not a tick
    asked = api(cast.manager).post(
        f"{base}/exception_request/",
        {
            "transition": "submit_for_review",
            "check_code": "evidence_collected",
            "reason": JUSTIFICATION,
        },
        format="json",
    )
    assert asked.status_code == 200, asked.content
    request_id = asked.json()["record"]

    by_manager = api(cast.manager).post(
        f"{base}/exception_grant/", {"record": request_id, "note": JUSTIFICATION}, format="json"
    )
    assert by_manager.status_code == 403
    assert Deviation.objects.get(pk=by_manager.json()["deviation_id"]).kind == "wrong_role"

    declined = api(head).post(
        f"{base}/exception_decline/",
        {"record": request_id, "note": "Take the photo again."},
        format="json",
    )
    assert declined.status_code == 200, declined.content
    assert ExceptionRequest.objects.get().status == ExceptionRequest.Status.DECLINED
    assert not PolicyException.objects.exists()


def test_the_timeline_names_every_event_and_only_real_changes(client, manager, product):
    loan = services.loan_create(
        borrower=factories.BorrowerFactory(branch=manager.branch),
        account_manager=manager,
        product=product,
        amount=Decimal("80000"),  # as typed: no decimals
        term_months=12,
        purpose="Restock",
        repayment_method="equal_instalments",
        guarantee_type="guarantee",
    )
    act(loan, "interview_record", manager, held_at=timezone.now(), location="Branch", notes="Met.")
    client.force_login(manager)

    rows = client.get(reverse("loans:detail", args=[loan.pk])).context["events"]

    assert [str(row.step) for row in rows] == ["Application opened", "Interview"]
    assert rows[1].facts == []  # 80000 and 80000.00 are the same amount


# --- people: ownership, delegation, reassignment, upgrade confirmation -----------------------


def offered(client, loan) -> list[str]:
    response = client.get(reverse("loans:detail", args=[loan.pk]))
    return [str(offer.label) for offer in response.context["general_offers"]]


def test_the_loan_page_offers_each_person_only_what_they_may_do(client, loan, cast, head):
    client.force_login(cast.manager)
    assert offered(client, loan) == ["Edit the application"]
    client.force_login(cast.co_investigator)  # not his loan
    assert offered(client, loan) == []
    client.force_login(head)
    assert offered(client, loan) == [
        "Reassign to another account manager",
        "Name a delegate for the account manager",
    ]


def test_a_delegate_named_by_the_head_acts_for_the_manager_until_revoked(client, loan, cast, head):
    interview = {"held_at": minute(timezone.now()), "location": "Branch", "notes": "Met."}
    add = reverse("loans:record-add", args=[loan.pk, "interviews"])
    client.force_login(cast.co_investigator)
    client.post(add, interview)
    assert not loan.interviews.exists()
    assert Deviation.objects.get().kind == Deviation.Kind.WRONG_PERSON

    client.force_login(head)
    client.post(
        reverse("loans:action", args=[loan.pk, "delegate_assign"]),
        {"delegate": cast.co_investigator.pk},
    )
    delegation = loan.delegations.get()
    client.force_login(cast.co_investigator)
    client.post(add, interview)
    assert loan.interviews.count() == 1

    client.force_login(head)
    page = client.get(reverse("loans:detail", args=[loan.pk]))
    (revoke,) = page.context["revoke_offers"]
    client.post(revoke.url, {})
    delegation.refresh_from_db()
    assert delegation.revoked_by == head
    client.force_login(cast.co_investigator)
    client.post(add, interview)
    assert loan.interviews.count() == 1
    actions = [e.action for e in events_of(loan)]
    assert actions[-2:] == ["interview_record", "delegate_revoke"]


def test_a_reassigned_loan_belongs_to_its_new_manager(client, loan, cast, head):
    client.force_login(head)
    client.post(
        reverse("loans:action", args=[loan.pk, "loan_reassign"]),
        {"account_manager": cast.co_investigator.pk},
    )
    loan.refresh_from_db()
    assert loan.account_manager == cast.co_investigator
    client.force_login(cast.co_investigator)
    assert offered(client, loan) == ["Edit the application"]
    client.force_login(cast.manager)
    assert offered(client, loan) == []


def test_a_pending_upgrade_is_offered_to_a_reviewer_not_to_its_proposer(client, loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    services.days_past_due_update(loan=loan, days_past_due=10)
    services.days_past_due_update(loan=loan, days_past_due=0)
    act(
        loan,
        "inspection_record",
        cast.manager,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Arrears paid; the shop trades well.",
        funds_used_as_stated=True,
        proposed_class=RiskClass.NORMAL,
    )
    client.force_login(cast.manager)
    assert client.get(reverse("loans:detail", args=[loan.pk])).context["upgrade_offers"] == []

    client.force_login(cast.reviewer)
    (offer,) = client.get(reverse("loans:detail", args=[loan.pk])).context["upgrade_offers"]
    client.post(offer.url, {})

    loan.refresh_from_db()
    assert loan.risk_class == RiskClass.NORMAL


def test_records_are_offered_only_to_the_person_who_may_add_them(client, loan, cast):
    client.force_login(cast.manager)
    mine = client.get(reverse("loans:detail", args=[loan.pk])).context["addable"]
    client.force_login(cast.co_investigator)
    theirs = client.get(reverse("loans:detail", args=[loan.pk])).context["addable"]

    assert [kind.name for kind in mine] == [
        "interview",
        "credit_authorisation",
        "collateral_valuation",
        "guarantor",
        "document",
    ]
    assert theirs == []  # same role, not their loan


# --- forms say what is wrong in words ------------------------------------------------------


@pytest.mark.parametrize("name", ["application-add", "application_edit"])
def test_a_zero_amount_is_a_field_error_in_words(client, loan, manager, product, name):
    client.force_login(manager)
    url = (
        reverse("loans:application-add")
        if name == "application-add"
        else reverse("loans:action", args=[loan.pk, name])
    )
    data = {
        "borrower": loan.borrower_id,
        "product": product.pk,
        "amount": "0",
        "term_months": "12",
        "purpose": "Stock",
        "repayment_method": "bullet",
        "guarantee_type": "credit",
        "industry": "F",
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == ["The amount must be above zero."]
    assert "Constraint" not in response.content.decode()


def test_an_action_form_shows_no_label_for_its_hidden_token(client, visited, cast):
    visit = visited.site_visits.get()
    client.force_login(cast.manager)

    page = client.get(
        reverse("loans:record-action", args=[visited.pk, "site_visit_cancel", visit.pk])
    ).content.decode()

    assert 'name="idempotency_key"' in page
    assert "Idempotency key" not in page


def test_a_record_cancel_link_and_the_review_read_as_meant_in_chinese(client, visited, cast):
    client.force_login(cast.manager)

    page = client.get(
        reverse("loans:detail", args=[visited.pk]), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert ">作废</a>" in page  # cancelling a record voids it; a form's 取消 leaves the form


# --- dates at the calendar's edges ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [("credit-authorisations", "signed_at"), ("interviews", "held_at")],
)
@pytest.mark.parametrize(
    "typed", ["0001-01-01T00:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59", "9999-12-31T23:59Z"]
)
def test_a_record_form_dated_in_year_1_or_9999_is_a_form_error(
    client, loan, manager, path, field, typed
):
    client.force_login(manager)

    response = client.post(
        reverse("loans:record-add", args=[loan.pk, path]),
        {field: typed, "location": "Branch", "notes": "Met.", "written_consent": "on"},
    )

    assert response.status_code == 200
    assert "Give a date between 2000-01-01 and tomorrow." in response.content.decode()
    assert not loan.credit_authorisations.exists()
    assert not loan.interviews.exists()
    assert not Deviation.objects.exists()


def test_a_contract_form_dated_in_year_9999_is_a_form_error(client, loan, cast):
    loan = advance(loan, LoanState.DISBURSEMENT, cast)
    client.force_login(cast.officer)

    response = client.post(
        reverse("loans:action", args=[loan.pk, "contract_record"]),
        {
            "number": "HT-9999",
            "signed_at": "9999-12-31T23:59Z",
            "signed_face_to_face": "on",
            "witness": cast.reviewer.pk,
        },
    )

    assert response.status_code == 200
    assert "Give a date between 2000-01-01 and tomorrow." in response.content.decode()
    assert not loan.contracts.filter(number="HT-9999").exists()


def test_what_a_step_asks_for_is_not_shown_as_failed_before_it_is_typed(client, visited, cast):
    client.force_login(cast.manager)

    options = client.get(reverse("loans:detail", args=[visited.pk])).context["options"]

    withdraw = next(o for o in options if o.name == "withdraw")
    (reason,) = [r for r in withdraw.checks if r.code == "reason_given"]
    assert reason.standing == "asked"
    assert all(r.standing == "ok" for r in withdraw.checks if r.code != "reason_given")


def test_the_visit_is_confirmed_from_the_page_by_its_co_investigator_only(client, loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    act(
        loan,
        "site_visit_record",
        cast.manager,
        co_investigator=cast.co_investigator,
        visited_at=timezone.now(),
        location="Shop",
        business="Open.",
        cash_flow="Fine.",
        repayment_source="Sales.",
        guarantee="Met.",
    )
    page = reverse("loans:detail", args=[loan.pk])

    client.force_login(cast.manager)
    assert client.get(page).context["confirm_visit"] is False
    client.force_login(cast.co_investigator)
    assert client.get(page).context["confirm_visit"] is True
