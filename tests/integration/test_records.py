"""Stage records: uploads, applications edited only while allowed, and revisions audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from loans.journeys import EVIDENCE_PDF, EVIDENCE_PHOTO, act, advance, prepare_to_leave
from loans.selectors import audit_trail_of
from loans.states import LoanState
from workflow.engine import TransitionRefused, perform_transition

pytestmark = pytest.mark.django_db

PDF = EVIDENCE_PDF


def upload(loan, user, name, content, kind="photo"):
    return act(loan, "document_upload", user, kind=kind, file=ContentFile(content, name=name))


def test_a_photo_is_stored_with_its_size_and_name(loan, manager, settings):
    document = upload(loan, manager, "shop.jpg", EVIDENCE_PHOTO)

    assert document.size == len(EVIDENCE_PHOTO)
    assert document.original_name == "shop.jpg"
    assert document.file.read() == EVIDENCE_PHOTO


@pytest.mark.parametrize(
    ("name", "content", "kind", "code"),
    [
        ("shop.exe", b"MZ\x90\x00", "photo", "file_type"),
        ("scan.pdf", PDF, "photo", "file_type"),  # a photo must be an image
        ("shop.jpg", PDF, "photo", "file_content"),  # the name lies about the content
        ("licence.pdf", b"<html>", "business_licence", "file_active_content"),
    ],
)
def test_uploads_of_the_wrong_type_or_content_are_refused(loan, manager, name, content, kind, code):
    with pytest.raises(ValidationError) as error:
        upload(loan, manager, name, content, kind)

    assert error.value.error_dict["file"][0].code == code
    assert not loan.documents.exists()


def test_an_upload_above_the_size_limit_is_refused(loan, manager, settings):
    settings.LOANFLOW_MAX_UPLOAD_BYTES = 32

    with pytest.raises(ValidationError) as error:
        upload(loan, manager, "shop.jpg", EVIDENCE_PHOTO)

    assert error.value.error_dict["file"][0].code == "file_too_large"


def test_a_pdf_document_is_accepted(loan, manager):
    assert upload(loan, manager, "licence.pdf", PDF, kind="business_licence").kind == (
        "business_licence"
    )


@pytest.mark.parametrize("state", [LoanState.SITE_VISIT, LoanState.REVIEW])
def test_the_application_is_edited_only_in_intake(loan, cast, state):
    """A 60-month term on a 36-month product once reached post-loan through an edit made
    during the site visit: now the application changes only in intake."""
    loan = advance(loan, state, cast)

    with pytest.raises(TransitionRefused) as refused:
        act(loan, "application_edit", cast.manager, term_months=60)

    assert refused.value.kind == "wrong_state"
    loan.refresh_from_db()
    assert loan.term_months == 12


def test_an_application_beyond_the_product_is_refused_as_it_is_entered(loan, cast):
    with pytest.raises(ValidationError) as error:
        act(loan, "application_edit", cast.manager, term_months=60, amount=Decimal(5_000_000))

    assert set(error.value.message_dict) == {"term_months", "amount"}


def test_another_manager_cannot_edit_the_application(loan, cast):
    with pytest.raises(TransitionRefused) as refused:
        act(loan, "application_edit", cast.co_investigator, amount=Decimal(90_000))

    assert refused.value.deviation.failed_codes == ["loan_owner"]


def test_a_resubmission_after_return_shows_what_was_revised(loan, cast):
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)
    loan = perform_transition(
        loan,
        "return_to_intake",
        actor=cast.manager,
        payload={"reason": "inconsistent_figures", "comment": "Amount too high for turnover."},
    )
    act(loan, "application_edit", cast.manager, amount=Decimal(60_000), term_months=18)

    loan = perform_transition(loan, "start_site_visit", actor=cast.manager)

    revision = audit_trail_of(loan).get(action="application_edit")
    assert revision.changes == {
        "amount": ["80000.00", "60000.00"],
        "term_months": [12, 18],
    }
    returned = audit_trail_of(loan).get(action="return_to_intake")
    assert returned.payload["reason"] == "inconsistent_figures"


def test_an_action_for_one_kind_of_record_cannot_reach_another(loan, cast, branch):
    """Cancelling "an interview" that is in fact a paid drawdown would skip the rule that paid
    drawdowns are never rewritten: the record must be of the action's own kind."""
    from loans.roles import Role
    from tests import factories
    from workflow.engine import InvalidInput

    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    loan = advance(loan, LoanState.POST_LOAN, cast)
    drawdown = loan.drawdowns.get()

    with pytest.raises(InvalidInput) as invalid:
        act(loan, "interview_cancel", head, record=drawdown, reason="Void the payment quietly.")

    assert "record" in invalid.value.message_dict
    drawdown.refresh_from_db()
    assert drawdown.cancelled_at is None
