"""Servicing: pricing on the contract, the schedule made at disbursement, repayments allocated
to its instalments, early repayments that make a new version, and days past due."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from loans.choices import EarlyRepaymentOption, LprTenor, RiskClass
from loans.journeys import act, advance, prepare_to_leave
from loans.models import Loan, RepaymentSchedule
from loans.selectors import audit_trail_of, deviations_of
from loans.services.servicing import current_schedule, days_past_due_refresh, loan_days_past_due
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused, perform_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def first_due(loan: Loan) -> date:
    return current_schedule(loan).instalments.get(number=1).due_date


def at_noon(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12))


def repay(loan: Loan, officer, amount: str, on: date, **extra):
    with time_machine.travel(at_noon(on), tick=False):
        return act(
            loan,
            "repayment_record",
            officer,
            principal=Decimal(amount),
            paid_at=at_noon(on),
            **extra,
        )


# --- pricing and the schedule at disbursement ---------------------------------------------------


def test_the_contract_carries_the_rate_and_its_basis(disbursed):
    contract = disbursed.contract
    # 12 months: the 1-year LPR (3.00 % from 20 May 2025) plus the merchant product's floor.
    assert (contract.lpr_tenor, contract.lpr_rate, contract.lpr_date) == (
        LprTenor.ONE_YEAR,
        Decimal("3.0000"),
        date(2025, 5, 20),
    )
    assert contract.spread_bps == 80
    assert contract.annual_rate == Decimal("3.8000")


def test_disbursement_makes_the_first_schedule_version(disbursed):
    schedule = current_schedule(disbursed)

    assert (schedule.version, schedule.reason, schedule.annual_rate) == (
        1,
        "disbursement",
        Decimal("3.8000"),
    )
    rows = list(schedule.instalments.order_by("number"))
    assert len(rows) == 12
    assert sum(row.principal for row in rows) == Decimal(80_000)
    assert rows[0].interest == Decimal("253.33")  # 80,000 x 3.80 % / 12
    assert rows[0].due_date == first_due(disbursed)


def test_a_spread_over_the_floor_is_the_contract_rate(cast, product, manager):
    loan = factories.LoanFactory(account_manager=manager, product=product, rate_spread_bps=125)
    loan = advance(loan, LoanState.POST_LOAN, cast)

    assert loan.contract.annual_rate == Decimal("4.2500")
    assert current_schedule(loan).annual_rate == Decimal("4.2500")


def test_a_spread_below_the_floor_beyond_the_approvers_authority_is_a_deviation(
    cast, product, manager, junior_approver
):
    # 30 basis points below the merchant floor of 80; level 1 may price 0 below it.
    loan = factories.LoanFactory(account_manager=manager, product=product, rate_spread_bps=50)
    loan = prepare_to_leave(advance(loan, LoanState.APPROVAL, cast), cast)

    with pytest.raises(TransitionRefused) as refused:
        perform_transition(
            loan,
            "approve",
            actor=junior_approver,
            payload={"conditions": [], "comment": "Within authority."},
        )

    assert refused.value.deviation == deviations_of(loan).get()
    assert "pricing_authority" in refused.value.deviation.failed_codes
    assert Loan.objects.get(pk=loan.pk).state == LoanState.APPROVAL


def test_an_approver_with_pricing_authority_may_approve_below_the_floor(cast, product, manager):
    loan = factories.LoanFactory(account_manager=manager, product=product, rate_spread_bps=50)
    loan = advance(loan, LoanState.POST_LOAN, cast)  # approved by the level-3 approver

    assert loan.contract.spread_bps == 50
    assert loan.contract.annual_rate == Decimal("3.5000")


# --- repayments ---------------------------------------------------------------------------------


def test_a_repayment_on_the_due_date_pays_interest_then_principal(disbursed, cast):
    due = first_due(disbursed)
    first = current_schedule(disbursed).instalments.get(number=1)

    repayment = repay(disbursed, cast.officer, str(first.total), due)

    (allocation,) = repayment.allocations.all()
    assert (allocation.number, allocation.interest, allocation.principal) == (
        1,
        Decimal("253.33"),
        first.principal,
    )
    first.refresh_from_db()
    assert first.settled
    loan = Loan.objects.get(pk=disbursed.pk)
    assert loan.outstanding_balance == Decimal(80_000) - first.principal
    assert current_schedule(loan).version == 1
    assert verify_chain(events_of(loan)).intact


def test_a_late_repayment_pays_overdue_interest_first(disbursed, cast):
    due = first_due(disbursed)
    first = current_schedule(disbursed).instalments.get(number=1)

    repayment = repay(disbursed, cast.officer, str(first.total), due + timedelta(days=10))

    (allocation,) = repayment.allocations.all()
    # principal x 3.80 % x 1.5 / 360 x 10 days
    expected = (first.principal * Decimal("0.038") * Decimal("1.5") / 360 * 10).quantize(
        Decimal("0.01")
    )
    assert allocation.overdue_interest == expected
    first.refresh_from_db()
    assert not first.settled  # the overdue interest took part of the instalment


def test_early_repayment_shortening_the_term_makes_a_new_version(disbursed, cast):
    due = first_due(disbursed)
    first = current_schedule(disbursed).instalments.get(number=1)

    repay(
        disbursed,
        cast.officer,
        str(first.total + Decimal(20_000)),
        due - timedelta(days=3),
        early_repayment=EarlyRepaymentOption.SHORTEN,
    )

    versions = RepaymentSchedule.objects.filter(loan=disbursed).order_by("version")
    assert [v.version for v in versions] == [1, 2]
    old, new = versions
    assert old.instalments.count() == 12  # the old version is kept as it was
    rows = list(new.instalments.order_by("number"))
    assert len(rows) < 12
    assert rows[0].settled
    assert rows[1].total == first.total
    loan = Loan.objects.get(pk=disbursed.pk)
    assert sum(row.principal for row in rows[1:]) == loan.outstanding_balance
    assert new.reason == "early_repayment"


def test_early_repayment_reamortised_keeps_the_term_with_lower_instalments(disbursed, cast):
    due = first_due(disbursed)
    first = current_schedule(disbursed).instalments.get(number=1)

    repay(disbursed, cast.officer, str(first.total + Decimal(20_000)), due)

    rows = list(current_schedule(disbursed).instalments.order_by("number"))
    assert len(rows) == 12
    assert rows[1].total < first.total


def test_a_repayment_above_what_can_be_owed_is_refused(disbursed, cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        repay(disbursed, cast.officer, "80253.34", first_due(disbursed))


def test_paying_everything_leaves_no_balance(disbursed, cast):
    repay(disbursed, cast.officer, "80253.33", first_due(disbursed))

    assert Loan.objects.get(pk=disbursed.pk).outstanding_balance == 0


# --- days past due ------------------------------------------------------------------------------


def test_days_past_due_follow_the_schedule_and_the_repayments(disbursed, cast):
    due = first_due(disbursed)
    first = current_schedule(disbursed).instalments.get(number=1)

    assert loan_days_past_due(disbursed, due) == 0
    assert loan_days_past_due(disbursed, due + timedelta(days=12)) == 12
    repay(disbursed, cast.officer, str(first.total), due + timedelta(days=5))
    # the overdue interest took part of the payment: the instalment is still short
    assert loan_days_past_due(disbursed, due + timedelta(days=12)) == 12
    repay(disbursed, cast.officer, "100", due + timedelta(days=6))
    assert loan_days_past_due(disbursed, due + timedelta(days=12)) == 0


def test_the_daily_refresh_writes_through_the_service_and_is_idempotent(disbursed):
    day = first_due(disbursed) + timedelta(days=3)

    assert days_past_due_refresh(on=day) == 1
    assert days_past_due_refresh(on=day) == 0

    loan = Loan.objects.get(pk=disbursed.pk)
    assert (loan.days_past_due, loan.risk_class) == (3, RiskClass.SPECIAL_MENTION)
    classified = audit_trail_of(loan).filter(action="classification_floor_apply")
    assert classified.count() == 1
    assert classified.get().payload["classified"]["cause"] == "days_past_due=3"


# --- undoing a repayment ------------------------------------------------------------------------


def test_cancelling_the_latest_repayment_undoes_its_allocation(disbursed, cast):
    due = first_due(disbursed)
    repayment = repay(disbursed, cast.officer, "1000", due)

    with time_machine.travel(at_noon(due), tick=False):
        act(
            disbursed,
            "repayment_cancel",
            cast.officer,
            record=repayment,
            reason="Bounced transfer.",
        )

    loan = Loan.objects.get(pk=disbursed.pk)
    assert loan.outstanding_balance == Decimal(80_000)
    first = current_schedule(loan).instalments.get(number=1)
    assert (first.interest_paid, first.principal_paid) == (0, 0)
    assert loan_days_past_due(loan, due + timedelta(days=2)) == 2


def test_an_allocated_repayment_is_not_corrected_nor_cancelled_out_of_order(disbursed, cast):
    from django.core.exceptions import ValidationError

    due = first_due(disbursed)
    earlier = repay(disbursed, cast.officer, "1000", due)
    repay(disbursed, cast.officer, "500", due)

    with time_machine.travel(at_noon(due), tick=False):
        with pytest.raises(ValidationError, match="cancel it and record it again"):
            act(
                disbursed,
                "repayment_correct",
                cast.officer,
                record=earlier,
                paid_at=at_noon(due - timedelta(days=1)),
                reason="Typed the wrong day.",
            )
        with pytest.raises(ValidationError, match="cancel that first"):
            act(disbursed, "repayment_cancel", cast.officer, record=earlier, reason="Bounced.")
