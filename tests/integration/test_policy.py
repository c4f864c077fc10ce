"""Policy as versioned data, and policy exceptions for soft checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans.journeys import act, advance, prepare_to_leave
from loans.models import PolicyVersion
from loans.models.policy import default_scorecard_weights
from loans.policy import DEFAULT_VERSION, policy_in_force
from loans.roles import Role
from loans.selectors import audit_trail_of
from loans.states import LoanState
from tests import factories
from workflow import prepared
from workflow.engine import InvalidInput, TransitionRefused, perform_transition, preflight
from workflow.models import Deviation, ExceptionRequest, PolicyException

pytestmark = pytest.mark.django_db

JUSTIFICATION = "Third photo lost to a camera fault; shop re-visited by phone call."


# --- versions ------------------------------------------------------------------------------------


def test_without_any_version_the_built_in_defaults_apply():
    policy = policy_in_force()

    assert policy.version == DEFAULT_VERSION
    assert policy.authority_tier_1 == Decimal(100_000)
    assert policy.direct_payment_business_use_limit == Decimal(500_000)
    assert policy.direct_payment_unknown_counterparty_limit == Decimal(300_000)
    assert policy.sla_days["review"] == 3


def test_the_latest_version_whose_date_has_come_is_in_force():
    factories.PolicyVersionFactory(
        version="2026.1", effective_from=timezone.now() - timedelta(days=9)
    )
    factories.PolicyVersionFactory(
        version="2026.2", effective_from=timezone.now() - timedelta(days=1)
    )
    factories.PolicyVersionFactory(
        version="2027.1", effective_from=timezone.now() + timedelta(days=30)
    )

    assert policy_in_force().version == "2026.2"
    assert policy_in_force(timezone.now() + timedelta(days=31)).version == "2027.1"


def test_a_check_uses_the_version_in_force_and_history_keeps_the_old_one(loan, cast, branch):
    """Level 1 may approve 80,000 until a new version lowers its tier to 50,000."""
    junior = factories.staff(Role.APPROVER, branch=branch, username="approver1", authority_level=1)
    factories.PolicyVersionFactory(version="v1", effective_from=timezone.now() - timedelta(days=1))
    factories.PolicyVersionFactory(
        version="v2",
        effective_from=timezone.now() + timedelta(days=1),
        authority_tier_1=Decimal(50_000),
    )
    first = advance(loan, LoanState.APPROVAL, cast)
    second = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)
    first = prepare_to_leave(first, cast)
    second = prepare_to_leave(second, cast)
    payload = {"conditions": [], "comment": "Within authority."}

    first = perform_transition(first, "approve", actor=junior, payload=payload)
    with (
        time_machine.travel(timezone.now() + timedelta(days=2)),
        pytest.raises(TransitionRefused) as refused,
    ):
        perform_transition(second, "approve", actor=junior, payload=payload)

    assert audit_trail_of(first).last().policy_version == "v1"
    assert refused.value.deviation.policy_version == "v2"
    assert refused.value.deviation.failed_codes == ["approver_authority"]
    assert {e.policy_version for e in audit_trail_of(second)} == {"v1"}


def test_a_version_in_force_cannot_be_edited_or_deleted():
    version = factories.PolicyVersionFactory(version="v1")
    version.evidence_photo_count = 1

    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        version.delete()
    assert PolicyVersion.objects.get(pk=version.pk).evidence_photo_count == 3


def test_a_version_not_yet_in_force_can_still_be_corrected():
    version = factories.PolicyVersionFactory(effective_from=timezone.now() + timedelta(days=5))
    version.evidence_photo_count = 4
    version.save()

    assert PolicyVersion.objects.get(pk=version.pk).evidence_photo_count == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sla_days", {"intake": 3}),
        (
            "score_weights",
            {"debt_to_income": 50, "credit_report": 30, "guarantee": 20, "concentration": 10},
        ),
        ("scorecard_weights", {"volume": 100}),
        ("scorecard_weights", default_scorecard_weights() | {"volume": 21}),
        ("industry_concentration_limit", Decimal("1.5")),
        ("authority_tier_3", Decimal(1)),
    ],
)
def test_an_inconsistent_version_is_refused_with_the_field_named(field, value):
    version = PolicyVersion(version="bad", effective_from=timezone.now())
    setattr(version, field, value)

    with pytest.raises(ValidationError) as error:
        version.full_clean()

    assert field in error.value.message_dict


# --- policy exceptions ---------------------------------------------------------------------------


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def short_of_evidence(loan, cast):
    """A loan at the site visit with one evidence photo too few: a soft check fails."""
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)
    act(loan, "document_cancel", cast.manager, record=loan.documents.first(), reason=BLURRED)
    return loan


BLURRED = "Blurred photo, shows nothing."


def request_exception(loan, actor, check_code="evidence_collected", reason=JUSTIFICATION):
    return act(
        loan,
        "exception_request",
        actor,
        transition="submit_for_review",
        check_code=check_code,
        reason=reason,
    )


def test_a_requested_exception_granted_by_the_branch_head_lets_a_soft_check_pass_once(
    short_of_evidence, cast, head
):
    request = request_exception(short_of_evidence, cast.manager)
    grant = act(short_of_evidence, "exception_grant", head, request=request, note=JUSTIFICATION)

    assert grant.deviation.kind == Deviation.Kind.POLICY_EXCEPTION
    assert grant.deviation.severity == Deviation.Severity.LOW
    assert grant.deviation.failed_codes == ["evidence_collected"]
    assert grant.deviation.payload["justification"] == JUSTIFICATION
    request.refresh_from_db()
    assert request.status == ExceptionRequest.Status.GRANTED
    (option,) = [
        o for o in preflight(short_of_evidence, actor=cast.manager) if o.name == "submit_for_review"
    ]
    assert option.allowed
    loan = perform_transition(short_of_evidence, "submit_for_review", actor=cast.manager)
    assert loan.state == LoanState.REVIEW
    grant.refresh_from_db()
    assert grant.consumed_at is not None
    actions = [e.action for e in audit_trail_of(loan)]
    assert actions[-3:] == ["exception_request", "exception_grant", "submit_for_review"]


def test_a_declined_request_grants_nothing(short_of_evidence, cast, head):
    request = request_exception(short_of_evidence, cast.manager)
    act(short_of_evidence, "exception_decline", head, request=request, note="Take the photo again.")

    request.refresh_from_db()
    assert request.status == ExceptionRequest.Status.DECLINED
    assert not PolicyException.objects.exists()
    with pytest.raises(TransitionRefused):
        perform_transition(short_of_evidence, "submit_for_review", actor=cast.manager)


def test_a_used_exception_does_not_cover_the_next_attempt(short_of_evidence, cast, head):
    request = request_exception(short_of_evidence, cast.manager)
    act(short_of_evidence, "exception_grant", head, request=request, note=JUSTIFICATION)
    loan = perform_transition(short_of_evidence, "submit_for_review", actor=cast.manager)
    loan = perform_transition(
        loan,
        "return_to_site_visit",
        actor=cast.reviewer,
        payload={"reason": "incomplete_visit", "comment": "Add the missing photo."},
    )

    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "submit_for_review", actor=cast.manager)

    assert refused.value.deviation.failed_codes == ["evidence_collected"]


def test_no_exception_can_be_requested_for_a_hard_check(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    with pytest.raises(InvalidInput) as invalid:
        request_exception(loan, cast.manager, check_code="two_investigators")

    assert invalid.value.message_dict["check_code"] == ["A hard check can never be overridden."]
    assert not ExceptionRequest.objects.exists()
    assert not Deviation.objects.exists()  # an input error, not an attempt against the rules


def test_only_a_branch_head_grants_and_the_attempt_is_logged(short_of_evidence, cast):
    request = request_exception(short_of_evidence, cast.manager)

    with pytest.raises(TransitionRefused) as refused:
        act(short_of_evidence, "exception_grant", cast.manager, request=request, note=JUSTIFICATION)

    assert refused.value.deviation.kind == Deviation.Kind.WRONG_ROLE
    assert not PolicyException.objects.exists()


def test_a_grant_needs_a_real_justification(short_of_evidence, cast, head):
    request = request_exception(short_of_evidence, cast.manager)

    with pytest.raises(InvalidInput) as invalid:
        act(short_of_evidence, "exception_grant", head, request=request, note="ok")

    assert "note" in invalid.value.message_dict
    assert not PolicyException.objects.exists()


def test_no_exception_is_requested_for_a_check_that_passes(loan, cast):
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)

    with pytest.raises(InvalidInput, match="no exception is needed"):
        request_exception(loan, cast.manager)


def test_a_branch_head_of_another_branch_cannot_grant(short_of_evidence, cast, other_branch):
    foreign_head = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")
    request = request_exception(short_of_evidence, cast.manager)

    with pytest.raises(TransitionRefused) as refused:
        act(short_of_evidence, "exception_grant", foreign_head, request=request, note=JUSTIFICATION)

    assert refused.value.deviation.kind == Deviation.Kind.OUT_OF_SCOPE


def test_the_first_step_a_process_runs_reads_the_version_in_force(loan, cast):
    """The locked read is compiled once per process, with a marker for the step's moment: the
    moment must be bound on every database (SQLite passes it to its driver as text)."""
    prepared.forget_all()
    factories.PolicyVersionFactory(version="v1", effective_from=timezone.now() - timedelta(days=1))

    moved = advance(loan, LoanState.SITE_VISIT, cast)

    assert audit_trail_of(moved).last().policy_version == "v1"
