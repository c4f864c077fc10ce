"""The upgrade of a non-performing loan: only after its arrears are repaid and it has then paid on
time for two repayment periods or six months (classification.upgrade-after-arrears), counted
from the schedule in force and the repayments, a later missed payment restarting the count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loans.choices import RepaymentMethod, RiskClass
from loans.classification import add_months
from loans.journeys import act, advance
from loans.models import Loan
from loans.services.servicing import current_schedule
from loans.states import LoanState
from tests import factories
from workflow.engine import TransitionRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def at_noon(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12))


def due(loan: Loan, number: int) -> date:
    return current_schedule(loan).instalments.get(number=number).due_date


def repay(loan: Loan, officer, amount: Decimal, on: date) -> None:
    with time_machine.travel(at_noon(on), tick=False):
        act(loan, "repayment_record", officer, principal=amount, paid_at=at_noon(on))


def pay_in_full(loan: Loan, officer, number: int, on: date) -> None:
    """Pay instalment ``number`` in full on ``on``: late, its overdue interest first."""
    row = current_schedule(loan).instalments.get(number=number)
    repay(loan, officer, row.total - row.paid, on)
    row.refresh_from_db()
    if not row.settled:  # the overdue interest took part of it
        repay(loan, officer, row.total - row.paid, on)


def classify_substandard(loan: Loan, cast) -> None:
    with time_machine.travel(at_noon(timezone.localdate() + timedelta(days=1)), tick=False):
        inspect(loan, cast.manager, RiskClass.SUBSTANDARD)
    assert Loan.objects.get(pk=loan.pk).risk_class == RiskClass.SUBSTANDARD


def inspect(loan: Loan, manager, proposed: RiskClass):
    return act(
        loan,
        "inspection_record",
        manager,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Trading again after the arrears.",
        funds_used_as_stated=True,
        proposed_class=proposed,
    )


def upgrade_on(loan: Loan, cast, day: date) -> None:
    with time_machine.travel(at_noon(day), tick=False):
        inspection = inspect(loan, cast.manager, RiskClass.SPECIAL_MENTION)
        act(loan, "classification_upgrade_confirm", cast.reviewer, record=inspection)


def refused_on(loan: Loan, cast, day: date) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as refused:
        upgrade_on(loan, cast, day)
    assert [r.code for r in refused.value.failed] == ["upgrade_within_floor"]
    assert Loan.objects.get(pk=loan.pk).risk_class == RiskClass.SUBSTANDARD
    return refused.value


def test_one_period_on_time_after_the_arrears_is_refused_two_are_allowed(disbursed, cast):
    classify_substandard(disbursed, cast)
    repaid_on = due(disbursed, 1) + timedelta(days=5)
    pay_in_full(disbursed, cast.officer, 1, repaid_on)  # the arrears repaid
    pay_in_full(disbursed, cast.officer, 2, due(disbursed, 2))  # one period on time

    refusal = refused_on(disbursed, cast, due(disbursed, 2) + timedelta(days=1))
    assert refusal.failed[0].params["since"] == repaid_on.isoformat()
    assert refusal.failed[0].params["periods"] == 1

    pay_in_full(disbursed, cast.officer, 3, due(disbursed, 3))  # the second
    upgrade_on(disbursed, cast, due(disbursed, 3))

    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SPECIAL_MENTION


def test_arrears_the_schedule_shows_unpaid_refuse_the_upgrade(disbursed, cast):
    classify_substandard(disbursed, cast)

    refusal = refused_on(disbursed, cast, due(disbursed, 2) + timedelta(days=1))

    assert "arrears are repaid" in str(refusal.failed[0].message)


def test_a_later_missed_payment_restarts_the_count(disbursed, cast):
    classify_substandard(disbursed, cast)
    pay_in_full(disbursed, cast.officer, 1, due(disbursed, 1))
    pay_in_full(disbursed, cast.officer, 2, due(disbursed, 2))
    missed_until = due(disbursed, 3) + timedelta(days=3)
    pay_in_full(disbursed, cast.officer, 3, missed_until)  # missed, then repaid
    pay_in_full(disbursed, cast.officer, 4, due(disbursed, 4))

    refusal = refused_on(disbursed, cast, due(disbursed, 4) + timedelta(days=1))
    assert (refusal.failed[0].params["since"], refusal.failed[0].params["periods"]) == (
        missed_until.isoformat(),
        1,
    )

    pay_in_full(disbursed, cast.officer, 5, due(disbursed, 5))
    upgrade_on(disbursed, cast, due(disbursed, 5) + timedelta(days=1))

    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SPECIAL_MENTION


def test_six_months_on_time_allow_it_when_fewer_than_two_periods_fell_due(cast, product, manager):
    loan = factories.LoanFactory(
        account_manager=manager, product=product, repayment_method=RepaymentMethod.BULLET
    )
    loan = advance(loan, LoanState.POST_LOAN, cast)
    assert current_schedule(loan).instalments.count() == 1  # due at maturity
    classify_substandard(loan, cast)
    six_months = add_months(at_noon(current_schedule(loan).start_date), 6).date()

    refusal = refused_on(loan, cast, six_months - timedelta(days=1))
    assert refusal.failed[0].params["from"] == six_months.isoformat()

    upgrade_on(loan, cast, six_months)

    assert Loan.objects.get(pk=loan.pk).risk_class == RiskClass.SPECIAL_MENTION


def test_the_record_is_read_with_the_loan_whatever_the_number_of_repayments(disbursed, cast):
    classify_substandard(disbursed, cast)
    pay_in_full(disbursed, cast.officer, 1, due(disbursed, 1) + timedelta(days=5))

    def confirm_statements(day: date) -> int:
        with time_machine.travel(at_noon(day), tick=False):
            inspection = inspect(disbursed, cast.manager, RiskClass.SPECIAL_MENTION)
            with CaptureQueriesContext(connection) as statements, pytest.raises(TransitionRefused):
                act(disbursed, "classification_upgrade_confirm", cast.reviewer, record=inspection)
        return len(statements.captured_queries)

    few = confirm_statements(due(disbursed, 1) + timedelta(days=6))
    quarter = (current_schedule(disbursed).instalments.get(number=2).total / 4).quantize(
        Decimal("0.01")
    )
    for _part in range(3):  # instalment 2 paid in four parts, on time
        repay(disbursed, cast.officer, quarter, due(disbursed, 2))
    pay_in_full(disbursed, cast.officer, 2, due(disbursed, 2))

    assert confirm_statements(due(disbursed, 2) + timedelta(days=1)) == few
