"""The five-class rules beside the floors: a technical overdue, a restructured loan's observation,
and an upgrade that needs a second person (every refusal a deviation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans import services
from loans.choices import RiskClass
from loans.journeys import act, advance
from loans.models import Loan, User
from loans.roles import Role
from loans.selectors import audit_trail_of
from loans.states import LoanState
from workflow.engine import TransitionRefused
from workflow.models import Deviation

pytestmark = pytest.mark.django_db

WHY = "Core system batch failed on the due date."


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def inspect(loan, manager, proposed=None):
    return act(
        loan,
        "inspection_record",
        manager,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Arrears paid; trading well.",
        funds_used_as_stated=True,
        proposed_class=proposed,
    )


def test_a_technical_overdue_sets_no_floor_until_it_ends(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=3)
    act(disbursed, "overdue_mark_technical", cast.reviewer, reason=WHY)

    loan = services.days_past_due_update(loan=disbursed, days_past_due=120)
    assert (loan.overdue_technical, loan.risk_class) == (True, RiskClass.SPECIAL_MENTION)
    event = audit_trail_of(loan).get(action="overdue_mark_technical")
    assert (event.actor, event.payload["reason"]) == (cast.reviewer, WHY)

    services.days_past_due_update(loan=disbursed, days_past_due=0)  # the overdue ends
    loan = services.days_past_due_update(loan=disbursed, days_past_due=95)  # a new one
    assert (loan.overdue_technical, loan.risk_class) == (False, RiskClass.SUBSTANDARD)


def test_only_a_reviewer_marks_a_technical_overdue_and_only_an_overdue(disbursed, cast):
    with pytest.raises(TransitionRefused) as refused:
        act(disbursed, "overdue_mark_technical", cast.reviewer, reason=WHY)
    assert refused.value.failed[0].code == "overdue_to_mark"
    services.days_past_due_update(loan=disbursed, days_past_due=3)
    with pytest.raises(TransitionRefused) as refused:
        act(disbursed, "overdue_mark_technical", cast.officer, reason=WHY)
    assert refused.value.deviation.kind == Deviation.Kind.WRONG_ROLE
    with pytest.raises(ValidationError):  # no reason: a form error, not a deviation
        act(disbursed, "overdue_mark_technical", cast.reviewer, reason="")

    assert not Loan.objects.get(pk=disbursed.pk).overdue_technical


def test_a_technical_overdue_lets_an_upgrade_below_the_floor_be_confirmed(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=3)
    act(disbursed, "overdue_mark_technical", cast.reviewer, reason=WHY)

    inspection = inspect(disbursed, cast.manager, proposed=RiskClass.NORMAL)
    act(disbursed, "classification_upgrade_confirm", cast.approver, record=inspection)

    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.NORMAL


def test_the_proposer_confirming_their_own_upgrade_is_refused_as_a_deviation(disbursed, cast):
    cast.manager.groups.add(Group.objects.get_or_create(name=Role.REVIEWER)[0])
    manager = User.objects.get(pk=cast.manager.pk)  # a reviewer too, roles read afresh
    services.days_past_due_update(loan=disbursed, days_past_due=10)
    services.days_past_due_update(loan=disbursed, days_past_due=0)
    inspection = inspect(disbursed, manager, proposed=RiskClass.NORMAL)

    with pytest.raises(TransitionRefused) as refused:
        act(disbursed, "classification_upgrade_confirm", manager, record=inspection)

    assert refused.value.deviation.kind == Deviation.Kind.WRONG_PERSON
    assert refused.value.deviation.failed_checks[0]["code"] == "upgrade_confirmer_independent"
    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SPECIAL_MENTION


def test_a_non_performing_loan_is_not_upgraded_before_its_arrears_are_repaid(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=100)
    services.days_past_due_update(loan=disbursed, days_past_due=20)
    inspection = inspect(disbursed, cast.manager, proposed=RiskClass.SPECIAL_MENTION)

    with pytest.raises(TransitionRefused) as refused:
        act(disbursed, "classification_upgrade_confirm", cast.reviewer, record=inspection)

    assert refused.value.deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert [r.code for r in refused.value.failed] == ["upgrade_within_floor"]


def test_a_restructured_loan_stays_at_least_special_mention_while_observed(disbursed, cast):
    act(
        disbursed,
        "restructuring_record",
        cast.approver,
        restructured_at=timezone.now(),
        reason="Term extended by six months after a flood.",
    )
    services.days_past_due_update(loan=disbursed, days_past_due=0)  # a feed with no arrears

    loan = Loan.objects.get(pk=disbursed.pk)
    assert loan.risk_class == RiskClass.SPECIAL_MENTION
    downgrade = audit_trail_of(loan).filter(action="classification_floor_apply").last()
    assert (downgrade.actor, downgrade.payload["classified"]["to"]) == (None, "special_mention")
    with pytest.raises(ValidationError, match="under observation is at least special mention"):
        inspect(disbursed, cast.manager, proposed=RiskClass.NORMAL)
    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SPECIAL_MENTION


def test_an_upgrade_proposed_before_a_restructuring_is_refused_as_a_deviation(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=120)
    services.days_past_due_update(loan=disbursed, days_past_due=0)
    inspection = inspect(disbursed, cast.manager, proposed=RiskClass.SPECIAL_MENTION)
    act(
        disbursed,
        "restructuring_record",
        cast.approver,
        restructured_at=timezone.now(),
        reason="Instalments halved for a year.",
    )

    with pytest.raises(TransitionRefused) as refused:
        act(disbursed, "classification_upgrade_confirm", cast.reviewer, record=inspection)

    assert refused.value.deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert [r.code for r in refused.value.failed] == ["upgrade_within_floor"]
    assert Loan.objects.get(pk=disbursed.pk).risk_class == RiskClass.SUBSTANDARD


def test_new_arrears_restart_a_restructured_loan_s_observation(disbursed, cast):
    # An hour ago, but not before the disbursement's local day (within the first hour after
    # midnight in Shanghai, an hour ago is the day before, and that restructuring is refused).
    earlier = max(disbursed.disbursed_at, timezone.now() - timedelta(hours=1))
    act(
        disbursed,
        "restructuring_record",
        cast.approver,
        restructured_at=earlier,
        reason="Instalments rescheduled after a fire.",
    )

    loan = services.days_past_due_update(loan=disbursed, days_past_due=5)

    assert loan.restructured_at == earlier
    assert loan.observed_since > earlier
    event = audit_trail_of(loan).filter(action="days_past_due_update").last()
    assert event.payload["observation_restarted"] is True
