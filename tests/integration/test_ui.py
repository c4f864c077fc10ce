"""The role screens: landing pages, the pipeline, the decision queue, acting from the loan page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans.journeys import advance, prepare_to_leave
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fixture", "page"),
    [
        ("manager", "loans:mine"),
        ("reviewer", "loans:queue"),
        ("approver", "loans:queue"),
        ("officer", "loans:queue"),
        ("compliance", "loans:deviations"),
    ],
)
def test_each_role_lands_on_its_screen(client, request, fixture, page):
    client.force_login(request.getfixturevalue(fixture))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == reverse(page)


def test_an_administrator_lands_on_the_admin(client, branch):
    client.force_login(factories.staff(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_the_pipeline_shows_the_managers_open_loans_by_stage_with_sla(client, cast):
    in_review = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    advance(factories.LoanFactory(account_manager=cast.manager), LoanState.CLOSED, cast)
    client.force_login(cast.manager)

    response = client.get(reverse("loans:mine"))

    columns = {stage: rows for stage, rows, _count, _more in response.context["columns"]}
    assert columns[LoanState.REVIEW] == [in_review]
    assert LoanState.CLOSED not in columns
    assert columns[LoanState.REVIEW][0].sla_status == "on_time"
    assert "text-bg-success" in response.content.decode()


def test_the_pipeline_is_for_account_managers_only(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("loans:mine")).status_code == 403


def test_the_pipeline_keeps_a_constant_number_of_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.manager)
    advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("loans:mine"))
    for _ in range(5):
        advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("loans:mine"))


def test_the_queue_lists_loans_awaiting_the_reviewer_in_the_branch_only(client, cast, outsider):
    waiting = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    factories.LoanFactory(account_manager=outsider)
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:queue"))

    assert list(response.context["loans"]) == [waiting]


def test_the_queue_sets_loans_above_the_approvers_authority_apart(client, cast, junior_approver):
    small = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)
    big = advance(
        factories.LoanFactory(account_manager=cast.manager, amount=Decimal(150_000)),
        LoanState.APPROVAL,
        cast,
    )
    client.force_login(junior_approver)

    response = client.get(reverse("loans:queue"))
    page = response.content.decode()

    assert "up to ¥100,000" in page
    assert list(response.context["loans"]) == [small]
    assert list(response.context["above"].rows) == [big]
    assert page.index(small.reference) < page.index('data-testid="above-authority"')
    assert page.index('data-testid="above-authority"') < page.index(big.reference)


def test_the_queue_is_refused_to_a_role_that_decides_nothing(client, manager):
    client.force_login(manager)
    assert client.get(reverse("loans:queue")).status_code == 403


def test_a_step_taken_on_the_loan_page_moves_the_loan(client, loan, cast):
    loan = prepare_to_leave(loan, cast)
    client.force_login(cast.manager)

    response = client.post(
        reverse("loans:transition", args=[loan.pk, "start_site_visit"]), follow=True
    )

    assert "Done: the loan is now in site visit." in response.content.decode()
    loan.refresh_from_db()
    assert loan.state == LoanState.SITE_VISIT


def test_a_refused_step_shows_every_reason_and_says_it_was_recorded(client, loan, manager):
    client.force_login(manager)

    response = client.post(
        reverse("loans:transition", args=[loan.pk, "start_site_visit"]), follow=True
    )

    page = response.content.decode()
    assert "No written consent of the borrower to query their credit report" in page
    assert "No face-to-face interview with the borrower has been recorded." in page
    assert "This attempt was recorded for compliance." in page
    assert Deviation.objects.get().channel == "web"


def test_an_approval_from_the_loan_page_records_its_conditions(client, cast):
    loan = prepare_to_leave(
        advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast), cast
    )
    client.force_login(cast.approver)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    assert 'name="conditions"' in page
    client.post(
        reverse("loans:transition", args=[loan.pk, "approve"]),
        {
            "conditions": "Guarantor signs in person\n\nInsurance assigned",
            "comment": "Approved on its conditions.",
        },
    )

    assert [c.text for c in loan.approval_conditions.all()] == [
        "Guarantor signs in person",
        "Insurance assigned",
    ]


def test_a_return_from_the_loan_page_carries_its_reason(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)

    client.post(
        reverse("loans:transition", args=[loan.pk, "return_to_site_visit"]),
        {"reason": "missing_documents", "comment": "Add the stock photos."},
    )

    loan.refresh_from_db()
    assert loan.state == LoanState.SITE_VISIT


def test_a_step_on_a_loan_of_another_branch_is_not_found(client, loan, outsider):
    client.force_login(outsider)

    response = client.post(reverse("loans:transition", args=[loan.pk, "withdraw"]))

    assert response.status_code == 404
    assert not Deviation.objects.exists()


def test_steps_are_posted_only(client, loan, manager):
    client.force_login(manager)
    assert client.get(reverse("loans:transition", args=[loan.pk, "withdraw"])).status_code == 405


def test_a_branch_head_sees_the_loans_of_the_sub_offices(client, loan, branch):
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    client.force_login(head)

    assert loan.reference in client.get(reverse("loans:list")).content.decode()


# --- stage records through forms ---------------------------------------------------------------


def test_an_interview_is_recorded_through_its_form(client, loan, manager):
    client.force_login(manager)
    url = reverse("loans:record-add", args=[loan.pk, "interviews"])

    assert client.get(reverse("loans:detail", args=[loan.pk])).content.decode().count(url) == 1
    before = client.post(
        url, {"held_at": "2020-01-20T10:00", "location": "Branch", "notes": "Met the borrower."}
    )
    assert "is before the application" in before.content.decode()  # a form error, kept
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"held_at": now, "location": "Branch", "notes": "Met the borrower."}
    )

    assert response.status_code == 302
    assert loan.interviews.get().notes == "Met the borrower."


def test_an_invalid_form_comes_back_with_every_entry_kept_and_its_error(client, loan, manager):
    client.force_login(manager)

    response = client.post(
        reverse("loans:record-add", args=[loan.pk, "interviews"]),
        {"held_at": "not a date", "location": "Branch office", "notes": "Kept notes."},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-held_at"' in page
    assert "Branch office" in page
    assert "Kept notes." in page
    assert not loan.interviews.exists()


def test_a_service_refusal_shows_on_the_form(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)
    client.force_login(cast.manager)
    photo = SimpleUploadedFile("shop.jpg", b"%PDF-1.7", content_type="image/jpeg")

    response = client.post(
        reverse("loans:record-add", args=[loan.pk, "documents"]), {"kind": "photo", "file": photo}
    )

    assert "not a complete JPEG file" in response.content.decode()
    assert not loan.documents.exists()


def test_records_are_refused_to_the_wrong_role_and_another_branch(client, loan, reviewer, outsider):
    url = reverse("loans:record-add", args=[loan.pk, "interviews"])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_record_out_of_its_stage_is_refused_with_a_message(client, loan, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("loans:record-add", args=[loan.pk, "reviews"]), follow=True)

    assert "cannot be done in the loan" in response.content.decode()


# --- applications, the contract and conditions through forms -----------------------------------


def test_a_borrower_then_an_application_are_created_through_forms(client, manager, product):
    client.force_login(manager)

    response = client.post(
        reverse("loans:borrower-add"),
        {"kind": "individual", "name": "张三", "id_number": "11010519491231002X", "industry": "F"},
    )
    assert response.status_code == 302
    borrower_id = int(response.url.split("borrower=")[1])
    response = client.post(
        reverse("loans:application-add"),
        {
            "borrower": borrower_id,
            "product": product.pk,
            "amount": "80000",
            "term_months": "12",
            "purpose": "Stock",
            "repayment_method": "bullet",
            "guarantee_type": "credit",
            "industry": "F",
        },
        follow=True,
    )

    loan = response.context["loan"]
    assert (loan.state, loan.account_manager, loan.amount) == ("intake", manager, Decimal(80_000))


def test_a_bad_identity_number_comes_back_on_the_borrower_form(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("loans:borrower-add"),
        {"kind": "individual", "name": "李四", "id_number": "110105194912310021"},
    )

    page = response.content.decode()
    assert "The check character should be X." in page
    assert "李四" in page


def test_applications_are_opened_by_account_managers_only(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("loans:application-add")).status_code == 403
    assert client.get(reverse("loans:borrower-add")).status_code == 403


def test_the_officer_records_the_contract_and_fulfils_conditions(client, cast):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    client.force_login(cast.officer)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    assert "The guarantor signs the contract in person." in page
    contract_page = reverse("loans:action", args=[loan.pk, "contract_record"])
    today = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    contract = {"number": "C-77", "signed_at": today, "signed_face_to_face": "on"}
    himself = client.post(contract_page, {**contract, "witness": cast.officer.pk})
    assert "The disbursement officer cannot witness the signing." in himself.content.decode()
    assert loan.contract is None
    client.post(contract_page, {**contract, "witness": cast.manager.pk})
    (condition,) = loan.approval_conditions.all()
    client.post(
        reverse("loans:record-action", args=[loan.pk, "condition_fulfil", condition.pk]),
        {"fulfilment_note": "Seen."},
    )

    loan.refresh_from_db()
    assert loan.contract.is_signed
    condition.refresh_from_db()
    assert condition.fulfilled


def test_the_contract_form_is_refused_to_others_and_other_branches(client, cast, outsider):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager), LoanState.DISBURSEMENT, cast
    )
    client.force_login(cast.manager)
    assert client.get(reverse("loans:action", args=[loan.pk, "contract_record"])).status_code == 403
    other_officer = factories.staff(
        Role.DISBURSEMENT_OFFICER, branch=outsider.branch, username="o9"
    )
    client.force_login(other_officer)
    assert client.get(reverse("loans:action", args=[loan.pk, "contract_record"])).status_code == 404


def test_the_approver_sees_the_risk_score_and_the_site_visit_findings(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)
    client.force_login(cast.approver)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert 'data-testid="risk-score"' in page
    assert "Debt-to-income" in page
    assert "debt_to_income" not in page  # the factor in words, not its code
    assert "Monthly takings checked against bank statements" in page


def test_a_step_that_only_waits_for_its_reason_is_not_shown_as_blocked(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:detail", args=[loan.pk]))

    assert "return_to_site_visit" in response.context["awaiting_input"]
    assert "submit_for_approval" not in response.context["awaiting_input"]  # blocked by checks


def test_the_queue_sorts_and_filters(client, cast):
    small = advance(
        factories.LoanFactory(account_manager=cast.manager, amount=Decimal(20_000)),
        LoanState.APPROVAL,
        cast,
    )
    big = advance(
        factories.LoanFactory(account_manager=cast.manager, amount=Decimal(90_000)),
        LoanState.APPROVAL,
        cast,
    )
    client.force_login(cast.approver)

    by_amount = client.get(reverse("loans:queue"), {"sort": "-amount"}).context["loans"]
    by_name = client.get(reverse("loans:queue"), {"q": small.borrower.name}).context["loans"]

    assert list(by_amount) == [big, small]
    assert list(by_name) == [small]
    assert by_amount[0].risk_score is not None


def test_the_queue_keeps_a_constant_number_of_queries(client, cast, django_assert_num_queries):
    advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("loans:queue"))
    for _ in range(4):
        advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("loans:queue"))


def test_oversight_pages_refuse_other_roles_and_branches(
    client, loan, manager, compliance, other_branch
):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=manager)
    deviation = refused.value.deviation
    foreign = factories.staff(Role.COMPLIANCE_OFFICER, branch=other_branch, username="compliance9")
    client.force_login(foreign)
    assert client.get(reverse("loans:deviation", args=[deviation.pk])).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("loans:deviations-export")).status_code == 403
    assert client.get(reverse("loans:deviation", args=[deviation.pk])).status_code == 403
