"""Each mandatory check of the loan process: met, it lets the transition pass; unmet, it blocks
the transition and the refusal is a stored deviation naming it.

Each test takes a loan to a stage with everything its forward transition needs (``ready``), takes
one requirement away, and attempts the transition.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loans import services
from loans.choices import DirectPaymentGround, GuaranteeType
from loans.journeys import act, advance, forward_step, prepare_to_leave
from loans.models import Loan
from loans.roles import Role
from loans.selectors import audit_trail_of
from loans.states import LoanState
from tests import factories
from workflow.engine import InvalidInput, TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = pytest.mark.django_db


def ready(loan: Loan, state: LoanState, cast) -> Loan:
    """``loan`` in ``state`` with everything on file to move forward."""
    return prepare_to_leave(advance(loan, state, cast), cast)


def attempt_forward(loan: Loan, cast, actor=None, payload=None) -> Loan:
    name, part, default_payload = forward_step(loan)
    actor = actor or getattr(cast, part)
    return perform_transition(loan, name, actor=actor, payload=payload or default_payload)


def refused_forward(loan: Loan, cast, actor=None, payload=None) -> TransitionRefused:
    """Attempt the forward step, expect a refusal, and check that the loan did not change."""
    before = Loan.objects.filter(pk=loan.pk).values().get()
    with pytest.raises(TransitionRefused) as refused:
        attempt_forward(loan, cast, actor, payload)
    assert Loan.objects.filter(pk=loan.pk).values().get() == before
    assert Deviation.objects.filter(pk=refused.value.deviation.pk).exists()
    return refused.value


def refusal(loan, name, actor, payload=None) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, name, actor=actor, payload=payload)
    return refused.value


# --- intake → site visit -------------------------------------------------------------------------


def test_a_complete_intake_starts_the_site_visit(loan, cast):
    assert attempt_forward(ready(loan, LoanState.INTAKE, cast), cast).state == "site_visit"


def test_an_invalid_resident_id_blocks_the_site_visit(cast, product):
    borrower = factories.BorrowerFactory(branch=cast.manager.branch, id_number="110105198506150010")
    loan = factories.LoanFactory(account_manager=cast.manager, borrower=borrower, product=product)

    refused = refused_forward(ready(loan, LoanState.INTAKE, cast), cast)

    assert refused.kind == Deviation.Kind.CHECKS_FAILED
    assert refused.deviation.failed_codes == ["identity_valid"]


def test_a_valid_enterprise_credit_code_passes_the_identity_check(cast, product):
    borrower = factories.BorrowerFactory(
        branch=cast.manager.branch, kind="enterprise", id_number="91350100M000100Y43"
    )
    loan = factories.LoanFactory(account_manager=cast.manager, borrower=borrower, product=product)

    assert attempt_forward(ready(loan, LoanState.INTAKE, cast), cast).state == "site_visit"


def test_an_incomplete_application_names_each_missing_field(cast, product):
    loan = factories.LoanFactory(
        account_manager=cast.manager, product=product, purpose="", repayment_method="", industry=""
    )

    refused = refused_forward(ready(loan, LoanState.INTAKE, cast), cast)

    assert refused.deviation.failed_codes == ["application_complete"]
    reason = refused.deviation.failed_checks[0]["reason"]
    assert reason["en"] == "The application lacks: purpose, repayment method, industry."


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
def test_amount_and_term_must_be_within_the_product_limits(cast, product, amount, term, allowed):
    loan = factories.LoanFactory(
        account_manager=cast.manager, product=product, amount=amount, term_months=term
    )
    loan = ready(loan, LoanState.INTAKE, cast)

    if allowed:
        assert attempt_forward(loan, cast).state == "site_visit"
    else:
        assert refused_forward(loan, cast).deviation.failed_codes == ["within_product_limits"]


def test_without_an_interview_the_site_visit_cannot_start(loan, cast):
    loan = ready(loan, LoanState.INTAKE, cast)
    loan.interviews.all().delete()

    assert refused_forward(loan, cast).deviation.failed_codes == ["interview_recorded"]


def test_without_the_credit_report_authorisation_the_site_visit_cannot_start(loan, cast):
    loan = ready(loan, LoanState.INTAKE, cast)
    loan.credit_authorisations.all().delete()

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["credit_authorisation_on_file"]


def test_a_blocked_borrower_is_refused_at_intake(loan, cast, compliance):
    loan = ready(loan, LoanState.INTAKE, cast)
    services.blocked_borrower_add(
        id_number=loan.borrower.id_number,
        name=loan.borrower.name,
        reason="court enforcement list",
        added_by=compliance,
    )

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["borrower_not_blocked"]
    assert "court enforcement list" in refused.deviation.failed_checks[0]["reason"]["en"]


# --- site visit → review -------------------------------------------------------------------------


def test_a_complete_site_visit_goes_to_review(loan, cast):
    assert attempt_forward(ready(loan, LoanState.SITE_VISIT, cast), cast).state == "review"


def test_a_site_visit_by_one_investigator_blocks_the_review(loan, cast):
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    loan.site_visits.update(co_investigator=None)

    assert refused_forward(loan, cast).deviation.failed_codes == ["two_investigators"]


def test_no_site_visit_at_all_blocks_the_review_with_every_visit_check(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    assert refused_forward(loan, cast).deviation.failed_codes == [
        "two_investigators",
        "visit_date_valid",
        "evidence_collected",
        "report_sections_complete",
    ]


def test_below_a_raised_two_person_threshold_one_investigator_suffices(loan, cast):
    factories.PolicyVersionFactory(two_person_threshold=Decimal(100_000))
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    loan.site_visits.update(co_investigator=None)

    assert attempt_forward(loan, cast).state == "review"


@pytest.mark.parametrize(
    ("shift", "message"),
    [(timedelta(days=2), "in the future"), (-timedelta(days=2), "before the application")],
)
def test_a_visit_dated_in_the_future_or_before_the_application_is_refused(
    loan, cast, shift, message
):
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    loan.site_visits.update(visited_at=timezone.now() + shift)
    if shift < timedelta(0):
        Loan.objects.filter(pk=loan.pk).update(created_at=timezone.now() - timedelta(days=1))

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["visit_date_valid"]
    assert message in refused.deviation.failed_checks[0]["reason"]["en"]


def test_too_few_evidence_photos_block_the_review_as_a_soft_check(loan, cast):
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    act(
        loan,
        "document_cancel",
        cast.manager,
        record=loan.documents.first(),
        reason="Blurred photo.",
    )

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["evidence_collected"]
    assert refused.deviation.failed_checks[0]["severity"] == "soft"
    assert refused.deviation.severity == Deviation.Severity.MEDIUM
    assert "2 of 3 evidence items" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_an_empty_report_section_is_named(loan, cast):
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    loan.site_visits.update(cash_flow="", guarantee="  ")

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["report_sections_complete"]
    reason = refused.deviation.failed_checks[0]["reason"]
    assert reason["en"] == "The report lacks: cash flow, guarantee."


def test_a_mortgage_needs_its_collateral_valued(cast, product):
    loan = factories.LoanFactory(
        account_manager=cast.manager, product=product, guarantee_type=GuaranteeType.MORTGAGE
    )
    loan = ready(loan, LoanState.SITE_VISIT, cast)
    assert loan.collateral_valuations.exists()  # the journey values it
    for valuation in loan.collateral_valuations.all():
        act(
            loan,
            "collateral_valuation_cancel",
            cast.manager,
            record=valuation,
            reason="Wrong file.",
        )

    assert refused_forward(loan, cast).deviation.failed_codes == ["collateral_valued"]


# --- review → approval ---------------------------------------------------------------------------


def test_a_complete_review_goes_to_approval(loan, cast):
    loan = ready(loan, LoanState.REVIEW, cast)
    review = loan.reviews.get()

    assert attempt_forward(loan, cast).state == "approval"
    assert 0 <= review.risk_score <= 100
    assert {f["code"] for f in review.risk_factors} == {
        "debt_to_income",
        "credit_report",
        "guarantee",
        "concentration",
    }


def test_without_a_credit_report_and_review_the_loan_cannot_go_to_approval(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)

    assert refused_forward(loan, cast).deviation.failed_codes == [
        "credit_report_checked",
        "review_written",
    ]


def test_a_review_written_by_another_reviewer_does_not_count(loan, cast, branch):
    other = factories.staff(Role.REVIEWER, branch=branch, username="reviewer2")
    loan = ready(loan, LoanState.REVIEW, cast)

    refused = refused_forward(loan, cast, actor=other)

    assert refused.deviation.failed_codes == ["review_written"]


def test_a_review_from_an_earlier_round_does_not_count(loan, cast):
    loan = ready(loan, LoanState.REVIEW, cast)
    loan.reviews.update(created_at=loan.state_entered_at - timedelta(seconds=1))

    assert refused_forward(loan, cast).deviation.failed_codes == ["review_written"]


def test_an_industry_above_its_concentration_limit_blocks_review_as_soft(cast, product, branch):
    factories.PolicyVersionFactory(concentration_min_portfolio=Decimal(50_000))
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)  # industry F
    loan = ready(loan, LoanState.REVIEW, cast)

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["portfolio_limits"]
    record = refused.deviation.failed_checks[0]
    assert record["severity"] == "soft"
    assert "industry wholesale and retail would be 100.0%" in record["reason"]["en"]


def test_below_the_minimum_portfolio_concentrations_are_not_assessed(loan, cast):
    assert attempt_forward(ready(loan, LoanState.REVIEW, cast), cast).state == "approval"


def test_the_single_borrower_limit_is_a_hard_check(cast, branch):
    factories.PolicyVersionFactory(concentration_min_portfolio=Decimal(100_000_000))
    big = factories.LoanProductFactory(
        code="BIG", max_amount=Decimal(20_000_000), max_term_months=60
    )
    loan = factories.LoanFactory(
        account_manager=cast.manager, product=big, amount=Decimal(10_000_001)
    )
    loan = ready(loan, LoanState.REVIEW, cast)

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["single_borrower_limit"]
    assert refused.deviation.failed_checks[0]["severity"] == "hard"


# --- separation of duties ----------------------------------------------------------------------


def test_a_reviewer_who_investigated_the_loan_is_refused_as_wrong_person(loan, cast, branch):
    both = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    cast = dataclasses.replace(cast, co_investigator=both, reviewer=both)
    loan = advance(loan, LoanState.REVIEW, cast)

    with pytest.raises(TransitionRefused) as error:  # the first thing they write in review
        prepare_to_leave(loan, cast)

    refused = error.value
    assert (refused.decision.name, refused.kind) == ("credit_report_record", "wrong_person")
    assert refused.deviation.failed_codes == ["reviewer_independent"]
    assert "site-visit investigator" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_a_reviewer_who_sold_the_loan_is_refused_and_logged(branch, product, cast):
    seller = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="seller")
    loan = factories.LoanFactory(account_manager=seller, product=product)
    cast = dataclasses.replace(cast, manager=seller, reviewer=seller)
    loan = advance(loan, LoanState.REVIEW, cast)

    with pytest.raises(TransitionRefused) as error:
        prepare_to_leave(loan, cast)

    assert error.value.kind == Deviation.Kind.WRONG_PERSON
    assert error.value.deviation.failed_codes == ["reviewer_independent"]
    with pytest.raises(TransitionRefused) as error:
        perform_transition(loan, "submit_for_approval", actor=seller)
    assert "reviewer_independent" in error.value.deviation.failed_codes


def test_a_reviewer_who_also_sells_asks_for_an_exception_in_review_as_reviewer(
    cast, product, branch
):
    """A person with both roles acts in review's: asking for a policy exception does not make
    them the loan's account manager in its audit trail, and they can still submit it."""
    factories.PolicyVersionFactory(concentration_min_portfolio=Decimal(50_000))
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    both = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    cast = dataclasses.replace(cast, reviewer=both)
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = ready(loan, LoanState.REVIEW, cast)  # portfolio_limits fails: a soft check
    reason = "The branch's first loans; concentration is unavoidable for now."

    request = act(
        loan,
        "exception_request",
        both,
        transition="submit_for_approval",
        check_code="portfolio_limits",
        reason=reason,
    )
    act(loan, "exception_grant", head, request=request, note=reason)

    assert perform_transition(loan, "submit_for_approval", actor=both).state == "approval"
    assert audit_trail_of(loan).get(action="exception_request").actor_role == Role.REVIEWER


def test_an_approver_who_reviewed_the_loan_is_refused(loan, cast, branch):
    both = factories.staff(
        Role.REVIEWER, Role.APPROVER, branch=branch, username="both", authority_level=3
    )
    cast = dataclasses.replace(cast, reviewer=both, approver=both)
    loan = ready(loan, LoanState.APPROVAL, cast)

    refused = refused_forward(loan, cast)

    assert refused.kind == Deviation.Kind.WRONG_PERSON
    assert refused.deviation.failed_codes == ["approver_independent"]


def test_a_disbursement_officer_who_approved_the_loan_is_refused(loan, cast, branch):
    both = factories.staff(
        Role.APPROVER, Role.DISBURSEMENT_OFFICER, branch=branch, username="both", authority_level=3
    )
    cast = dataclasses.replace(cast, approver=both, officer=both)
    loan = advance(loan, LoanState.DISBURSEMENT, cast)

    with pytest.raises(TransitionRefused) as error:  # the contract is their first write
        prepare_to_leave(loan, cast)

    assert (error.value.decision.name, error.value.kind) == ("contract_record", "wrong_person")
    assert error.value.deviation.failed_codes == ["disbursement_officer_independent"]


# --- approval ----------------------------------------------------------------------------------


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
    loan = ready(loan, LoanState.APPROVAL, cast)

    if allowed:
        assert attempt_forward(loan, cast, actor=approver).state == "disbursement"
    else:
        refused = refused_forward(loan, cast, actor=approver)
        assert refused.kind == Deviation.Kind.WRONG_PERSON
        assert refused.deviation.failed_codes == ["approver_authority"]


@pytest.fixture
def big_loan(cast):
    big = factories.LoanProductFactory(
        code="BIG", max_amount=Decimal(8_000_000), max_term_months=60
    )
    loan = factories.LoanFactory(
        account_manager=cast.manager,
        product=big,
        amount=Decimal(3_000_001),
        guarantee_type=GuaranteeType.MORTGAGE,
    )
    return ready(loan, LoanState.APPROVAL, cast)


def test_above_the_top_tier_one_approver_is_never_enough(big_loan, cast):
    refused = refused_forward(big_loan, cast)

    assert refused.deviation.failed_codes == ["approver_authority"]
    assert "two approvers of level 3" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_above_the_top_tier_one_top_level_approver_endorses_and_another_approves(
    big_loan, cast, branch
):
    second = factories.staff(Role.APPROVER, branch=branch, username="approver4", authority_level=3)

    loan = perform_transition(
        big_loan, "endorse", actor=cast.approver, payload={"comment": "Endorsed."}
    )
    assert loan.state == LoanState.APPROVAL
    assert refused_forward(loan, cast).deviation.failed_codes == ["approver_authority"]
    loan = attempt_forward(loan, cast, actor=second)

    assert loan.state == LoanState.DISBURSEMENT
    outcomes = list(loan.approval_decisions.values_list("approver__username", "outcome"))
    assert sorted(outcomes) == [("approver3", "endorsed"), ("approver4", "approved")]


def test_an_endorsement_needs_a_top_level_approver_and_a_loan_above_the_top_tier(
    big_loan, loan, cast, branch
):
    level2 = factories.staff(Role.APPROVER, branch=branch, username="l2", authority_level=2)
    opinion = {"comment": "Endorsed."}
    assert refusal(big_loan, "endorse", level2, opinion).deviation.failed_codes == [
        "endorsement_allowed"
    ]
    small = ready(loan, LoanState.APPROVAL, cast)
    assert refusal(small, "endorse", cast.approver, opinion).deviation.failed_codes == [
        "endorsement_allowed"
    ]


def test_an_approval_without_its_conditions_stated_is_an_input_error(loan, cast):
    loan = ready(loan, LoanState.APPROVAL, cast)

    with pytest.raises(InvalidInput) as invalid:
        perform_transition(loan, "approve", actor=cast.approver, payload={"comment": "fine"})

    assert list(invalid.value.message_dict) == ["conditions"]
    assert not Deviation.objects.exists()


def test_an_approval_records_the_decision_and_its_conditions(loan, cast):
    loan = ready(loan, LoanState.APPROVAL, cast)

    loan = attempt_forward(
        loan, cast, payload={"conditions": ["Spouse co-signs", "Insurance"], "comment": "ok"}
    )

    decision = loan.approval_decisions.get()
    assert (decision.approver, decision.outcome, decision.authority_level) == (
        cast.approver,
        "approved",
        3,
    )
    assert [c.text for c in loan.approval_conditions.all()] == ["Spouse co-signs", "Insurance"]
    assert loan.approved_at is not None


# --- disbursement ------------------------------------------------------------------------------


def test_a_ready_disbursement_pays_the_drawdowns_and_sets_the_balance(loan, cast):
    loan = attempt_forward(ready(loan, LoanState.DISBURSEMENT, cast), cast)

    assert loan.state == LoanState.POST_LOAN
    assert loan.outstanding_balance == loan.amount
    assert not loan.drawdowns.filter(paid_at__isnull=True).exists()
    assert loan.disbursed_at is not None


def test_without_a_contract_the_loan_cannot_be_disbursed(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    loan.contract.delete()

    assert refused_forward(loan, cast).deviation.failed_codes == ["contract_signed"]


def test_a_contract_signed_without_a_witness_blocks_disbursement(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    type(loan.contract).objects.filter(pk=loan.contract.pk).update(witness=None)

    assert refused_forward(loan, cast).deviation.failed_codes == ["contract_signed"]


def test_an_unfulfilled_condition_blocks_disbursement(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    loan.approval_conditions.update(fulfilled_at=None)

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["conditions_fulfilled"]
    assert "The guarantor signs" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_an_expired_approval_blocks_disbursement(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    Loan.objects.filter(pk=loan.pk).update(approved_at=timezone.now() - timedelta(days=31))
    loan.refresh_from_db()

    assert refused_forward(loan, cast).deviation.failed_codes == ["approval_not_expired"]


def test_an_approval_on_its_last_valid_day_can_be_disbursed(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    Loan.objects.filter(pk=loan.pk).update(approved_at=timezone.now() - timedelta(days=29))
    loan.refresh_from_db()

    assert attempt_forward(loan, cast).state == LoanState.POST_LOAN


def test_drawdowns_above_the_loan_amount_are_refused(loan, cast):
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    with pytest.raises(InvalidInput) as invalid:  # refused as it is entered
        act(
            loan,
            "drawdown_request",
            cast.officer,
            amount=Decimal(1),
            method="own_account",
            direct_payment_ground="business_use",
        )

    assert "At most CNY 0.00 remains" in invalid.value.message_dict["amount"][0]


UNKNOWN, NO_NON_CASH, BUSINESS = (
    DirectPaymentGround.UNKNOWN_COUNTERPARTY,
    DirectPaymentGround.NO_NON_CASH,
    DirectPaymentGround.BUSINESS_USE,
)


@pytest.mark.parametrize(
    ("amount", "method", "ground", "counterparty", "allowed"),
    [
        (Decimal(50_000), "entrusted", "", "County Steel Co.", True),  # the default
        (Decimal(50_000), "entrusted", "", "", False),  # entrusted to nobody in particular
        (Decimal(50_000), "own_account", "", "", False),  # direct payment without consent
        (Decimal(300_000), "own_account", UNKNOWN, "", True),
        (Decimal("300000.01"), "own_account", UNKNOWN, "", False),
        (Decimal(500_000), "own_account", BUSINESS, "", True),
        (Decimal("500000.01"), "own_account", BUSINESS, "", False),
        (Decimal(2_000_000), "own_account", NO_NON_CASH, "", True),  # no amount limit
        (Decimal("500000.01"), "entrusted", "", "County Steel Co.", True),
    ],
)
def test_entrusted_payment_is_the_default_and_direct_payment_needs_a_ground_within_its_limit(
    cast, amount, method, ground, counterparty, allowed
):
    loan = factories.LoanFactory(account_manager=cast.manager, amount=amount)
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    loan.drawdowns.update(  # as a drawdown recorded before the rule, or under another policy
        method=method,
        direct_payment_ground=ground,
        counterparty_name=counterparty,
        counterparty_account="6222 1111" if counterparty else "",
    )

    if allowed:
        assert attempt_forward(loan, cast).state == LoanState.POST_LOAN
    else:
        assert refused_forward(loan, cast).deviation.failed_codes == ["entrusted_payment"]


@pytest.mark.parametrize(
    ("data", "allowed"),
    [
        ({"method": "own_account"}, False),
        ({"method": "own_account", "direct_payment_ground": UNKNOWN}, False),  # above 300,000
        ({"method": "own_account", "direct_payment_ground": BUSINESS}, True),
        (
            {
                "method": "entrusted",
                "counterparty_name": "County Steel Co.",
                "counterparty_account": "6222 1111",
                "direct_payment_ground": BUSINESS,
            },
            False,  # an entrusted payment states no ground
        ),
    ],
)
def test_a_drawdown_is_refused_as_it_is_entered_when_its_payment_is_not_allowed(
    cast, data, allowed
):
    loan = factories.LoanFactory(account_manager=cast.manager, amount=Decimal(400_000))
    loan = ready(loan, LoanState.DISBURSEMENT, cast)
    drawdown = loan.drawdowns.get()
    act(loan, "drawdown_cancel", cast.officer, record=drawdown, reason="Asked again, see below.")

    if allowed:
        assert act(loan, "drawdown_request", cast.officer, amount=Decimal(400_000), **data)
        return
    with pytest.raises(InvalidInput) as invalid:
        act(loan, "drawdown_request", cast.officer, amount=Decimal(400_000), **data)
    assert list(invalid.value.message_dict) == ["direct_payment_ground"]
    assert not Deviation.objects.exists()


def test_drawdowns_split_to_dodge_entrusted_payment_are_refused(cast, product):
    """Two loans of 300,000 to one borrower within 30 days, both to the own account."""
    first = factories.LoanFactory(account_manager=cast.manager, amount=Decimal(300_000))
    advance(first, LoanState.POST_LOAN, cast)
    second = factories.LoanFactory(
        account_manager=cast.manager, borrower=first.borrower, amount=Decimal(300_000)
    )
    second = ready(second, LoanState.DISBURSEMENT, cast)

    refused = refused_forward(second, cast)

    assert refused.deviation.failed_codes == ["no_split_drawdowns"]
    assert "600,000.00" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_own_account_drawdowns_outside_the_window_do_not_add_up(cast, product):
    first = factories.LoanFactory(account_manager=cast.manager, amount=Decimal(300_000))
    first = advance(first, LoanState.POST_LOAN, cast)
    first.drawdowns.update(paid_at=timezone.now() - timedelta(days=31))
    second = factories.LoanFactory(
        account_manager=cast.manager, borrower=first.borrower, amount=Decimal(300_000)
    )

    assert attempt_forward(ready(second, LoanState.DISBURSEMENT, cast), cast).state == "post_loan"


# --- closing -----------------------------------------------------------------------------------


def test_a_repaid_and_inspected_loan_closes(loan, cast):
    loan = attempt_forward(ready(loan, LoanState.POST_LOAN, cast), cast)

    assert loan.state == LoanState.CLOSED


def test_an_outstanding_balance_blocks_closing(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    act(loan, "repayment_record", cast.officer, principal=Decimal(30_000))

    refused = refused_forward(loan, cast)

    assert refused.deviation.failed_codes == ["balance_repaid"]
    assert "50,000.00 is still outstanding" in refused.deviation.failed_checks[0]["reason"]["en"]


def test_an_overdue_first_inspection_blocks_closing(loan, cast):
    loan = advance(loan, LoanState.POST_LOAN, cast)
    Loan.objects.filter(pk=loan.pk).update(disbursed_at=timezone.now() - timedelta(days=16))
    loan.refresh_from_db()
    act(loan, "repayment_record", cast.officer, principal=loan.outstanding_balance)

    assert refused_forward(loan, cast).deviation.failed_codes == ["no_inspection_overdue"]


# --- reasons for returns, rejections and withdrawals -------------------------------------------


@pytest.mark.parametrize("payload", [None, {"reason": "bogus", "comment": "x"}, {"comment": "x"}])
def test_a_return_without_a_reason_code_is_an_input_error(loan, cast, payload):
    loan = advance(loan, LoanState.REVIEW, cast)

    with pytest.raises(InvalidInput) as invalid:
        perform_transition(loan, "return_to_site_visit", actor=cast.reviewer, payload=payload)

    assert [r.code for r in invalid.value.decision.input_errors] == ["reason_chosen"]
    assert not Deviation.objects.exists()  # a slip, not an attempt against the rules


# --- the written opinion of a decision at review and approval ------------------------------------


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_an_approval_without_a_written_opinion_is_refused_and_logged(loan, cast, comment):
    loan = ready(loan, LoanState.APPROVAL, cast)
    payload = {"conditions": []} if comment is None else {"conditions": [], "comment": comment}

    refused = refused_forward(loan, cast, payload=payload)

    assert refused.kind == Deviation.Kind.CHECKS_FAILED
    assert refused.deviation.failed_codes == ["opinion_written"]
    assert refused.deviation.failed_checks[0]["clause"] == "decision.opinion"
    assert not loan.approval_decisions.exists()


def test_a_return_with_its_reason_but_no_opinion_is_refused_and_logged(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)

    refused = refusal(loan, "return_to_site_visit", cast.reviewer, {"reason": "other"})

    assert refused.deviation.failed_codes == ["opinion_written"]
    assert Loan.objects.get(pk=loan.pk).state == LoanState.REVIEW


def test_the_approvers_opinion_is_kept_with_the_decision_who_and_in_which_role(loan, cast):
    loan = ready(loan, LoanState.APPROVAL, cast)

    loan = attempt_forward(
        loan, cast, payload={"conditions": [], "comment": "  Sound cash flow; approve.  "}
    )

    decision = loan.approval_decisions.get()
    assert (decision.approver, decision.role, decision.opinion) == (
        cast.approver,
        Role.APPROVER,
        "Sound cash flow; approve.",
    )


def test_a_reviewers_return_is_kept_as_a_decision_with_the_opinion(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)
    payload = {"reason": "missing_documents", "comment": "The lease is missing."}

    loan = perform_transition(loan, "return_to_site_visit", actor=cast.reviewer, payload=payload)

    decision = loan.approval_decisions.get()
    assert (decision.approver, decision.role, decision.outcome, decision.opinion) == (
        cast.reviewer,
        Role.REVIEWER,
        "returned",
        "The lease is missing.",
    )
    assert decision.authority_level is None


def test_a_rejection_at_approval_with_a_reason_ends_the_loan_and_is_recorded(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)

    loan = perform_transition(
        loan,
        "reject",
        actor=cast.approver,
        payload={"reason": "inconsistent_figures", "comment": "Turnover not credible."},
    )

    assert loan.state == LoanState.REJECTED
    assert loan.approval_decisions.get().outcome == "rejected"


def test_a_reviewer_cannot_reject_at_the_approval_stage(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)
    payload = {"reason": "other", "comment": "No."}

    assert refusal(loan, "reject", cast.reviewer, payload).kind == Deviation.Kind.WRONG_ROLE


def test_a_withdrawal_needs_a_reason(loan, cast):
    with pytest.raises(InvalidInput):
        perform_transition(loan, "withdraw", actor=cast.manager, payload={"reason": ""})

    assert not Deviation.objects.exists()
    loan = perform_transition(
        loan, "withdraw", actor=cast.manager, payload={"reason": "other", "comment": "Not needed."}
    )
    assert loan.state == LoanState.WITHDRAWN
