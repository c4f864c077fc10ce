"""Policy as versioned data, and policy exceptions for soft checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans.journeys import advance, prepare_to_leave
from loans.models import Document, PolicyVersion
from loans.policy import DEFAULT_VERSION, policy_in_force
from loans.roles import Role
from loans.selectors import audit_trail_of
from loans.workflow import LoanState
from tests import factories
from workflow.engine import TransitionRefused, perform_transition, preflight
from workflow.exceptions import ExceptionRefused, grant_exception
from workflow.models import Deviation, PolicyException

pytestmark = pytest.mark.django_db

JUSTIFICATION = "Third photo lost to a camera fault; shop re-visited by phone call."


# --- versions ------------------------------------------------------------------------------------


def test_without_any_version_the_built_in_defaults_apply():
    policy = policy_in_force()

    assert policy.version == DEFAULT_VERSION
    assert policy.authority_tier_1 == Decimal(100_000)
    assert policy.entrusted_payment_threshold == Decimal(500_000)
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
    payload = {"conditions": []}

    first = perform_transition(first, "approve", actor=junior, payload=payload)
    with (
        time_machine.travel(timezone.now() + timedelta(days=2)),
        pytest.raises(TransitionRefused) as refused,
    ):
        perform_transition(second, "approve", actor=junior, payload=payload)

    assert audit_trail_of(first).last().policy_version == "v1"
    assert refused.value.deviation.policy_version == "v2"
    assert refused.value.deviation.failed_codes == ["approver_authority"]
    assert [e.policy_version for e in audit_trail_of(second)] == ["v1", "v1", "v1"]


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
    Document.objects.filter(pk=loan.documents.first().pk).delete()
    return loan


def test_a_branch_head_exception_lets_a_soft_check_pass_once_and_is_logged(
    short_of_evidence, cast, head
):
    grant = grant_exception(
        short_of_evidence,
        transition="submit_for_review",
        check_code="evidence_collected",
        actor=head,
        justification=JUSTIFICATION,
    )

    assert grant.deviation.kind == Deviation.Kind.POLICY_EXCEPTION
    assert grant.deviation.severity == Deviation.Severity.LOW
    assert grant.deviation.failed_codes == ["evidence_collected"]
    assert grant.deviation.payload["justification"] == JUSTIFICATION
    (option,) = [
        o for o in preflight(short_of_evidence, actor=cast.manager) if o.name == "submit_for_review"
    ]
    assert option.allowed
    loan = perform_transition(short_of_evidence, "submit_for_review", actor=cast.manager)
    assert loan.state == LoanState.REVIEW
    grant.refresh_from_db()
    assert grant.consumed_at is not None


def test_a_used_exception_does_not_cover_the_next_attempt(short_of_evidence, cast, head):
    grant_exception(
        short_of_evidence,
        transition="submit_for_review",
        check_code="evidence_collected",
        actor=head,
        justification=JUSTIFICATION,
    )
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


def test_a_hard_check_can_never_be_overridden_and_the_attempt_is_logged(loan, cast, head):
    loan = advance(loan, LoanState.SITE_VISIT, cast)

    with pytest.raises(ExceptionRefused) as refused:
        grant_exception(
            loan,
            transition="submit_for_review",
            check_code="two_investigators",
            actor=head,
            justification=JUSTIFICATION,
        )

    assert refused.value.message == "A hard check can never be overridden."
    assert refused.value.deviation.kind == Deviation.Kind.EXCEPTION_REFUSED
    assert refused.value.deviation.severity == Deviation.Severity.HIGH
    assert not PolicyException.objects.exists()


@pytest.mark.parametrize(
    ("who", "justification", "message"),
    [
        ("manager", JUSTIFICATION, "You may not grant policy exceptions."),
        ("head", "ok", "Write a justification of at least 20 characters."),
    ],
)
def test_an_exception_needs_an_allowed_role_and_a_real_justification(
    short_of_evidence, cast, head, who, justification, message
):
    actor = head if who == "head" else cast.manager

    with pytest.raises(ExceptionRefused) as refused:
        grant_exception(
            short_of_evidence,
            transition="submit_for_review",
            check_code="evidence_collected",
            actor=actor,
            justification=justification,
        )

    assert refused.value.message == message
    assert not PolicyException.objects.exists()


def test_no_exception_is_granted_for_a_check_that_passes(loan, cast, head):
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)

    with pytest.raises(ExceptionRefused, match="no exception is needed"):
        grant_exception(
            loan,
            transition="submit_for_review",
            check_code="evidence_collected",
            actor=head,
            justification=JUSTIFICATION,
        )


def test_an_exception_for_a_branch_head_of_another_branch_is_refused(
    short_of_evidence, other_branch
):
    foreign_head = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")

    with pytest.raises(ExceptionRefused, match="may not grant"):
        grant_exception(
            short_of_evidence,
            transition="submit_for_review",
            check_code="evidence_collected",
            actor=foreign_head,
            justification=JUSTIFICATION,
        )
