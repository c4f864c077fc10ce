"""Each mandatory check of the loan process: met, it lets the transition pass; unmet, it blocks
the transition and the refusal is a stored deviation naming it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from loans import services
from loans.journeys import advance
from loans.models import Loan
from loans.roles import Role
from loans.workflow import LoanState
from tests import factories
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = pytest.mark.django_db


def refusal(loan, name, actor, payload=None) -> TransitionRefused:
    """Attempt ``name``, expect a refusal, and check that nothing about the loan changed."""
    before = Loan.objects.filter(pk=loan.pk).values().get()
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, name, actor=actor, payload=payload)
    assert Loan.objects.filter(pk=loan.pk).values().get() == before
    assert Deviation.objects.filter(pk=refused.value.deviation.pk).exists()
    return refused.value


# --- intake → site visit ---------------------------------------------------------------------


def test_an_invalid_resident_id_blocks_the_site_visit(manager, product):
    borrower = factories.BorrowerFactory(branch=manager.branch, id_number="110105198506150010")
    loan = factories.LoanFactory(account_manager=manager, borrower=borrower, product=product)
    factories.InterviewFactory(loan=loan)

    refused = refusal(loan, "start_site_visit", manager)

    assert refused.kind == Deviation.Kind.CHECKS_FAILED
    assert refused.deviation.failed_codes == ["identity_valid"]


def test_a_valid_enterprise_credit_code_passes_the_identity_check(manager, product):
    borrower = factories.BorrowerFactory(
        branch=manager.branch, kind="enterprise", id_number="91350100M000100Y43"
    )
    loan = factories.LoanFactory(account_manager=manager, borrower=borrower, product=product)
    factories.InterviewFactory(loan=loan)

    loan = perform_transition(loan, "start_site_visit", actor=manager)

    assert loan.state == LoanState.SITE_VISIT


def test_an_incomplete_application_names_each_missing_field(manager, product):
    loan = factories.LoanFactory(
        account_manager=manager, product=product, purpose="", repayment_method="", industry=""
    )
    factories.InterviewFactory(loan=loan)

    refused = refusal(loan, "start_site_visit", manager)

    assert refused.deviation.failed_codes == ["application_complete"]
    reason = refused.deviation.failed_checks[0]["reason"]["en"]
    assert reason == "The application lacks: purpose, repayment method, industry."


@pytest.mark.parametrize(
    ("amount", "term", "allowed"),
    [
        (Decimal(10_000), 12, True),  # the product's minimum amount
        (Decimal(3_000_000), 36, True),  # the product's maximum amount and term
        (Decimal("9999.99"), 12, False),
        (Decimal("3000000.01"), 12, False),
        (Decimal(80_000), 37, False),
    ],
)
def test_amount_and_term_must_be_within_the_product_limits(manager, product, amount, term, allowed):
    loan = factories.LoanFactory(
        account_manager=manager, product=product, amount=amount, term_months=term
    )
    factories.InterviewFactory(loan=loan)

    if allowed:
        assert perform_transition(loan, "start_site_visit", actor=manager).state == "site_visit"
    else:
        assert refusal(loan, "start_site_visit", manager).deviation.failed_codes == [
            "within_product_limits"
        ]


def test_without_an_interview_the_site_visit_cannot_start(loan, manager):
    refused = refusal(loan, "start_site_visit", manager)

    assert refused.deviation.failed_codes == ["interview_recorded"]


# --- site visit → review -----------------------------------------------------------------------


def test_a_site_visit_by_one_investigator_blocks_the_review(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    services.site_visit_record(
        loan=loan,
        lead_investigator=cast.manager,
        co_investigator=None,
        visited_at=loan.created_at,
        location="Shop",
        findings="Fine.",
    )

    refused = refusal(loan, "submit_for_review", cast.manager)

    assert refused.deviation.failed_codes == ["two_investigators"]


def test_no_site_visit_at_all_blocks_the_review(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    assert refusal(loan, "submit_for_review", cast.manager).deviation.failed_codes == [
        "two_investigators"
    ]


def test_below_a_raised_two_person_threshold_one_investigator_suffices(loan, cast):
    factories.PolicyVersionFactory(two_person_threshold=Decimal(100_000))
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    services.site_visit_record(
        loan=loan,
        lead_investigator=cast.manager,
        co_investigator=None,
        visited_at=loan.created_at,
        location="Shop",
        findings="Fine.",
    )

    assert perform_transition(loan, "submit_for_review", actor=cast.manager).state == "review"


# --- separation of duties ----------------------------------------------------------------------


def test_a_reviewer_who_investigated_the_loan_is_refused_as_wrong_person(loan, cast, branch):
    both = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    cast = dataclasses.replace(cast, co_investigator=both)
    loan = advance(loan, LoanState.REVIEW, cast)

    refused = refusal(loan, "submit_for_approval", both)

    assert refused.kind == Deviation.Kind.WRONG_PERSON
    assert refused.deviation.failed_codes == ["reviewer_independent"]
    assert "site-visit investigator" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_a_reviewer_who_sold_the_loan_is_refused_and_logged(branch, product, cast):
    seller = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="seller")
    loan = factories.LoanFactory(account_manager=seller, product=product)
    cast = dataclasses.replace(cast, manager=seller)
    loan = advance(loan, LoanState.REVIEW, cast)

    refused = refusal(loan, "submit_for_approval", seller)

    assert refused.deviation.failed_codes == ["reviewer_independent"]


def test_an_approver_who_reviewed_the_loan_is_refused(loan, cast, branch):
    both = factories.staff(
        Role.REVIEWER, Role.APPROVER, branch=branch, username="both", authority_level=3
    )
    cast = dataclasses.replace(cast, reviewer=both)
    loan = advance(loan, LoanState.APPROVAL, cast)

    refused = refusal(loan, "approve", both)

    assert refused.kind == Deviation.Kind.WRONG_PERSON
    assert refused.deviation.failed_codes == ["approver_independent"]


def test_a_disbursement_officer_who_approved_the_loan_is_refused(loan, cast, branch):
    both = factories.staff(
        Role.APPROVER,
        Role.DISBURSEMENT_OFFICER,
        branch=branch,
        username="both",
        authority_level=3,
    )
    cast = dataclasses.replace(cast, approver=both)
    loan = advance(loan, LoanState.DISBURSEMENT, cast)
    services.contract_record(
        loan=loan, number="C-1", signed_at=loan.created_at, signed_face_to_face=True, witness=both
    )

    refused = refusal(loan, "disburse", both)

    assert refused.kind == Deviation.Kind.WRONG_PERSON
    assert refused.deviation.failed_codes == ["disbursement_officer_independent"]


# --- approval authority ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "level", "allowed"),
    [
        (Decimal(100_000), 1, True),
        (Decimal("100000.01"), 1, False),
        (Decimal("100000.01"), 2, True),
        (Decimal(500_000), 2, True),
        (Decimal("500000.01"), 2, False),
        (Decimal(3_000_000), 3, True),
    ],
)
def test_approver_authority_tiers_at_their_boundaries(loan, cast, branch, amount, level, allowed):
    Loan.objects.filter(pk=loan.pk).update(amount=amount)
    loan.refresh_from_db()
    approver = factories.staff(
        Role.APPROVER, branch=branch, username=f"level{level}", authority_level=level
    )
    loan = advance(loan, LoanState.APPROVAL, cast)

    if allowed:
        assert perform_transition(loan, "approve", actor=approver).state == "disbursement"
    else:
        refused = refusal(loan, "approve", approver)
        assert refused.kind == Deviation.Kind.WRONG_PERSON
        assert refused.deviation.failed_codes == ["approver_authority"]


def test_above_the_top_tier_one_approver_is_never_enough(manager, cast):
    big = factories.LoanProductFactory(
        code="BIG", max_amount=Decimal(10_000_000), max_term_months=60
    )
    loan = factories.LoanFactory(account_manager=manager, product=big, amount=Decimal(3_000_001))
    loan = advance(loan, LoanState.APPROVAL, cast)

    refused = refusal(loan, "approve", cast.approver)

    assert refused.deviation.failed_codes == ["approver_authority"]
    assert "two approvers of level 3" in refused.deviation.failed_checks[0]["reason"]["en"]


# --- disbursement ------------------------------------------------------------------------------


def test_without_a_contract_the_loan_cannot_be_disbursed(loan, cast):
    loan = advance(loan, LoanState.DISBURSEMENT, cast)

    assert refusal(loan, "disburse", cast.officer).deviation.failed_codes == ["contract_signed"]


def test_a_contract_signed_without_a_witness_blocks_disbursement(loan, cast):
    loan = advance(loan, LoanState.DISBURSEMENT, cast)
    services.contract_record(
        loan=loan, number="C-9", signed_at=loan.created_at, signed_face_to_face=True
    )

    assert refusal(loan, "disburse", cast.officer).deviation.failed_codes == ["contract_signed"]


def test_disbursement_stamps_the_disbursement_time(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)

    assert loan.disbursed_at is not None
    assert loan.state_entered_at == loan.disbursed_at


# --- reasons for returns, rejections and withdrawals -------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [None, {"reason": "missing_documents"}, {"reason": "bogus", "comment": "x"}, {"comment": "x"}],
)
def test_a_return_without_reason_code_and_comment_is_refused(loan, cast, payload):
    loan = advance(loan, LoanState.REVIEW, cast)

    refused = refusal(loan, "return_to_site_visit", cast.reviewer, payload)

    assert refused.deviation.failed_codes == ["reason_given"]


def test_a_rejection_at_approval_with_a_reason_ends_the_loan(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)

    loan = perform_transition(
        loan,
        "reject",
        actor=cast.approver,
        payload={"reason": "inconsistent_figures", "comment": "Turnover not credible."},
    )

    assert loan.state == LoanState.REJECTED


def test_a_reviewer_cannot_reject_at_the_approval_stage(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)
    payload = {"reason": "other", "comment": "No."}

    assert refusal(loan, "reject", cast.reviewer, payload).kind == Deviation.Kind.WRONG_ROLE


def test_a_withdrawal_needs_a_reason(loan, cast):
    refused = refusal(loan, "withdraw", cast.manager, {"reason": "", "comment": ""})

    assert refused.deviation.failed_codes == ["reason_given"]
    loan = perform_transition(
        loan, "withdraw", actor=cast.manager, payload={"reason": "other", "comment": "Not needed."}
    )
    assert loan.state == LoanState.WITHDRAWN
