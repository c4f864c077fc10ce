"""The workflow engine on loans: performing, auditing, refusing and logging transitions."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from loans.journeys import act, advance
from loans.models import Loan
from loans.selectors import audit_trail_of, deviations_of
from loans.states import LoanState
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused, UnknownTransition, perform_transition, preflight
from workflow.models import AppendOnlyError, AuditEvent, Channel, Deviation

pytestmark = pytest.mark.django_db


def test_the_happy_path_reaches_closed_with_one_audit_event_per_transition(loan, cast):
    loan = advance(loan, LoanState.CLOSED, cast)

    assert loan.state == LoanState.CLOSED
    events = [e for e in audit_trail_of(loan) if e.kind == AuditEvent.Kind.TRANSITIONED]
    assert [(e.source_state, e.target_state) for e in events] == [
        ("intake", "site_visit"),
        ("site_visit", "review"),
        ("review", "approval"),
        ("approval", "disbursement"),
        ("disbursement", "post_loan"),
        ("post_loan", "closed"),
    ]
    assert [e.actor for e in events] == [
        cast.manager,
        cast.manager,
        cast.reviewer,
        cast.approver,
        cast.officer,
        cast.manager,
    ]
    assert [e.actor_role for e in events] == [
        "account_manager",
        "account_manager",
        "reviewer",
        "approver",
        "disbursement_officer",
        "account_manager",
    ]
    assert all(e.policy_version == "defaults" for e in events)
    assert all(e.scope == "B01" for e in events)
    assert Loan.objects.get(pk=loan.pk).state == LoanState.CLOSED
    assert not deviations_of(loan).exists()


def test_the_audit_chain_of_a_full_journey_verifies(loan, cast):
    loan = advance(loan, LoanState.CLOSED, cast)

    report = verify_chain(events_of(loan))

    assert report.intact
    assert report.events == events_of(loan).count() > 6  # transitions and every record


def test_a_tampered_audit_event_breaks_the_chain_from_that_event_on(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)
    events = list(events_of(loan))
    events[1].payload = {"comment": "rewritten"}  # in memory: the ORM refuses to save it

    report = verify_chain(events)

    assert not report.intact
    assert report.broken_at == 2


def test_a_removed_audit_event_breaks_the_chain(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)
    events = list(events_of(loan))

    report = verify_chain([events[0], events[2]])

    assert not report.intact
    assert report.broken_at == 3


def test_each_event_hash_chains_to_the_previous_one(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)
    first, second = list(events_of(loan))[:2]

    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64


def test_the_transition_payload_and_channel_are_audited(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)

    loan = perform_transition(
        loan,
        "return_to_site_visit",
        actor=cast.reviewer,
        payload={"reason": "missing_documents", "comment": "Photos of the stock are missing."},
        channel=Channel.API,
    )

    event = audit_trail_of(loan).last()
    assert event.action == "return_to_site_visit"
    assert event.payload == {
        "reason": "missing_documents",
        "comment": "Photos of the stock are missing.",
    }
    assert event.channel == Channel.API
    assert loan.state == LoanState.SITE_VISIT


def test_the_wrong_role_is_refused_and_logged(loan, cast):
    loan = advance(loan, LoanState.APPROVAL, cast)

    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "approve", actor=cast.manager)

    deviation = refused.value.deviation
    assert refused.value.kind == Deviation.Kind.WRONG_ROLE
    assert deviation.kind == Deviation.Kind.WRONG_ROLE
    assert deviation.actor == cast.manager
    assert deviation.transition == "approve"
    assert deviation.from_state == LoanState.APPROVAL
    assert deviation.actor_roles == ["account_manager"]
    assert deviation.channel == Channel.WEB
    assert deviation.policy_version == "defaults"
    assert deviation.severity == Deviation.Severity.HIGH
    assert Loan.objects.get(pk=loan.pk).state == LoanState.APPROVAL


def test_skipping_a_stage_is_refused_as_wrong_state_and_logged(loan, manager, officer):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "disburse", actor=officer)

    assert refused.value.kind == Deviation.Kind.WRONG_STATE
    deviation = Deviation.objects.get()
    assert (deviation.transition, deviation.from_state) == ("disburse", "intake")
    assert Loan.objects.get(pk=loan.pk).state == LoanState.INTAKE


def test_a_user_of_another_branch_is_refused_as_out_of_scope(loan, outsider):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=outsider)

    assert refused.value.kind == Deviation.Kind.OUT_OF_SCOPE
    assert refused.value.deviation.scope == "B01"


def test_an_unknown_transition_name_is_a_caller_error_not_a_deviation(loan, manager):
    with pytest.raises(UnknownTransition):
        perform_transition(loan, "approve_quickly", actor=manager)

    assert not Deviation.objects.exists()


def test_a_refused_transition_leaves_the_loan_and_its_records_unchanged(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    before = Loan.objects.filter(pk=loan.pk).values().get()
    events_before = AuditEvent.objects.count()

    with pytest.raises(TransitionRefused):
        perform_transition(loan, "submit_for_review", actor=cast.manager)  # no site visit yet

    assert Loan.objects.filter(pk=loan.pk).values().get() == before
    assert AuditEvent.objects.count() == events_before
    assert loan.site_visits.count() == 0


def test_every_failed_check_is_reported_not_only_the_first(manager, product):
    from tests.factories import BorrowerFactory, LoanFactory

    borrower = BorrowerFactory(branch=manager.branch, id_number="110105198506150010")
    loan = LoanFactory(account_manager=manager, borrower=borrower, product=product, purpose="")

    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=manager)

    expected = [
        "identity_valid",
        "application_complete",
        "credit_authorisation_on_file",
        "interview_recorded",
    ]
    assert [r.code for r in refused.value.failed] == expected
    assert refused.value.deviation.failed_codes == expected


def test_deviation_keeps_each_failed_reason_in_english_and_chinese(loan, manager):
    act(
        loan,
        "credit_authorisation_record",
        manager,
        signed_at=timezone.now(),
        written_consent=True,
        purpose="loan_application",
    )
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=manager)

    (record,) = refused.value.deviation.failed_checks
    assert record["code"] == "interview_recorded"
    assert record["severity"] == "hard"
    assert record["clause"] == "intake.interview"  # a rule of docs/rules.md
    assert (
        record["reason"]["en"] == "No face-to-face interview with the borrower has been recorded."
    )
    assert record["reason"]["zh-hans"] == "尚未记录与借款人的面谈。"


def test_calling_a_transition_method_directly_is_impossible(loan):
    with pytest.raises(TransitionNotAllowed):
        loan.start_site_visit()


def test_the_state_field_cannot_be_assigned(loan):
    with pytest.raises(AttributeError):
        loan.state = LoanState.CLOSED


def test_audit_events_cannot_be_changed_or_deleted(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    event = AuditEvent.objects.first()

    event.action = "something_else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_deviations_cannot_be_changed_or_deleted(loan, manager):
    with pytest.raises(TransitionRefused):
        perform_transition(loan, "start_site_visit", actor=manager)
    deviation = Deviation.objects.get()

    with pytest.raises(AppendOnlyError):
        deviation.save()
    with pytest.raises(AppendOnlyError):
        deviation.delete()
    with pytest.raises(AppendOnlyError):
        Deviation.objects.update(kind="wrong_role")
    with pytest.raises(AppendOnlyError):
        Deviation.objects.all().delete()


def test_the_engine_refuses_to_run_inside_a_callers_transaction(loan, cast):
    """A caller's transaction could roll the deviation back; the engine insists on its own."""
    from tests.factories import InterviewFactory

    InterviewFactory(loan=loan, interviewer=cast.manager)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        perform_transition(loan, "start_site_visit", actor=cast.manager)


def test_preflight_lists_every_transition_from_the_state_with_its_checks(loan, manager):
    options = {option.name: option for option in preflight(loan, actor=manager)}

    assert set(options) == {"start_site_visit", "withdraw"}
    start = options["start_site_visit"]
    assert start.target == LoanState.SITE_VISIT
    assert start.role_allowed
    assert not start.allowed
    assert [(r.code, r.passed) for r in start.checks] == [
        ("loan_owner", True),
        ("identity_valid", True),
        ("application_complete", True),
        ("within_product_limits", True),
        ("credit_authorisation_on_file", False),
        ("interview_recorded", False),
        ("borrower_not_blocked", True),
    ]
    assert not Deviation.objects.exists()  # a preview records nothing


def test_preflight_tells_a_user_without_the_role_that_they_may_not(loan, reviewer):
    (start,) = [o for o in preflight(loan, actor=reviewer) if o.name == "start_site_visit"]

    assert not start.role_allowed
    assert not start.allowed
