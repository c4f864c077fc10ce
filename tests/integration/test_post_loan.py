"""Post-loan: classification floors, inspections that classify, repayments, the schedule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans import services
from loans.choices import RiskClass
from loans.journeys import act, advance
from loans.models import Loan
from loans.policy import policy_in_force
from loans.selectors import audit_trail_of, next_inspection_due
from loans.states import LoanState
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def inspect(loan, inspector, proposed=None):
    return act(
        loan,
        "inspection_record",
        inspector,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Visited the shop.",
        funds_used_as_stated=True,
        proposed_class=proposed,
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, RiskClass.NORMAL),
        (1, RiskClass.SPECIAL_MENTION),
        (91, RiskClass.SUBSTANDARD),
        (271, RiskClass.DOUBTFUL),
        (361, RiskClass.LOSS),
    ],
)
def test_days_past_due_raise_the_class_to_its_floor(disbursed, days, expected):
    loan = services.days_past_due_update(loan=disbursed, days_past_due=days)

    assert Loan.objects.get(pk=loan.pk).risk_class == expected


def test_every_change_of_class_is_audited_in_the_chain(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=5)
    services.days_past_due_update(loan=disbursed, days_past_due=95)
    services.days_past_due_update(loan=disbursed, days_past_due=96)  # same class: no downgrade
    services.days_past_due_update(loan=disbursed, days_past_due=96)  # same figure: no event

    trail = list(audit_trail_of(disbursed))
    fed = [e.payload["days_past_due"] for e in trail if e.action == "days_past_due_update"]
    assert fed == [5, 95, 96]
    classified = [e for e in trail if e.action == "classification_floor_apply"]
    assert [
        (e.payload["classified"]["from"], e.payload["classified"]["to"]) for e in classified
    ] == [
        ("normal", "special_mention"),
        ("special_mention", "substandard"),
    ]
    assert {(e.actor, e.actor_role, e.channel) for e in classified} == {(None, "system", "system")}
    assert classified[0].payload["classified"]["cause"] == "days_past_due=5"
    assert verify_chain(events_of(disbursed)).intact


def test_a_catch_up_in_payments_does_not_improve_the_class_by_itself(disbursed):
    services.days_past_due_update(loan=disbursed, days_past_due=100)
    loan = services.days_past_due_update(loan=disbursed, days_past_due=0)

    assert loan.risk_class == RiskClass.SUBSTANDARD


def test_an_inspection_may_classify_worse_than_the_floor(disbursed, cast):
    inspect(disbursed, cast.manager, proposed=RiskClass.DOUBTFUL)

    loan = Loan.objects.get(pk=disbursed.pk)
    assert loan.risk_class == RiskClass.DOUBTFUL
    event = audit_trail_of(loan).last()
    assert (event.action, event.actor, event.payload["classified"]["to"]) == (
        "inspection_record",
        cast.manager,
        "doubtful",
    )


def test_an_inspection_may_never_classify_better_than_the_floor(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=120)

    with pytest.raises(ValidationError) as error:
        inspect(disbursed, cast.manager, proposed=RiskClass.SPECIAL_MENTION)

    assert "at least substandard" in str(error.value)
    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SUBSTANDARD
    assert not disbursed.inspections.filter(proposed_class=RiskClass.SPECIAL_MENTION).exists()


def test_an_upgrade_proposed_by_the_manager_waits_for_a_reviewer_to_confirm(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=10)
    services.days_past_due_update(loan=disbursed, days_past_due=0)

    inspection = inspect(disbursed, cast.manager, proposed=RiskClass.NORMAL)
    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SPECIAL_MENTION
    with pytest.raises(TransitionRefused) as refused:  # the manager cannot confirm their own
        act(disbursed, "classification_upgrade_confirm", cast.manager, record=inspection)
    assert refused.value.deviation.kind == "wrong_role"

    act(disbursed, "classification_upgrade_confirm", cast.reviewer, record=inspection)

    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.NORMAL
    event = audit_trail_of(disbursed).last()
    assert (event.action, event.actor, event.payload["classified"]["to"]) == (
        "classification_upgrade_confirm",
        cast.reviewer,
        "normal",
    )


def test_days_past_due_before_disbursement_are_refused_as_a_deviation(loan):
    with pytest.raises(TransitionRefused) as refused:
        services.days_past_due_update(loan=loan, days_past_due=3)

    assert refused.value.deviation.kind == "wrong_state"
    assert refused.value.deviation.actor is None
    assert Loan.objects.get(pk=loan.pk).days_past_due == 0


def test_repayments_reduce_the_balance_and_cannot_exceed_it(disbursed, cast):
    act(disbursed, "repayment_record", cast.officer, principal=Decimal(30_000))

    assert Loan.objects.get(pk=disbursed.pk).outstanding_balance == Decimal(50_000)
    with pytest.raises(ValidationError):
        act(disbursed, "repayment_record", cast.officer, principal=Decimal(50_001))


def test_the_first_inspection_is_due_after_disbursement_then_by_class(disbursed, cast):
    policy = policy_in_force()
    assert next_inspection_due(disbursed, policy) == disbursed.disbursed_at + timedelta(days=15)

    inspection = inspect(disbursed, cast.manager)
    assert next_inspection_due(disbursed, policy) == inspection.inspected_at + timedelta(days=90)

    services.days_past_due_update(loan=disbursed, days_past_due=3)
    disbursed.refresh_from_db()
    assert next_inspection_due(disbursed, policy) == inspection.inspected_at + timedelta(days=30)
