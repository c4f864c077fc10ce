"""Stage records: uploads, applications edited only while allowed, and revisions audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from loans import services
from loans.journeys import EVIDENCE_PHOTO, advance, prepare_to_leave
from loans.selectors import audit_trail_of
from loans.workflow import LoanState
from workflow.engine import perform_transition

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def upload(loan, user, name, content, kind="photo"):
    return services.document_upload(
        loan=loan, kind=kind, file=ContentFile(content, name=name), uploaded_by=user
    )


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
        ("contract.pdf", b"<html>", "contract", "file_content"),
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
    assert upload(loan, manager, "contract.pdf", PDF, kind="contract").kind == "contract"


def test_the_application_cannot_change_after_the_site_visit(loan, cast):
    loan = advance(loan, LoanState.REVIEW, cast)

    with pytest.raises(ValidationError):
        services.loan_update_application(loan=loan, amount=Decimal(90_000))


def test_a_resubmission_after_return_shows_what_was_revised(loan, cast):
    loan = prepare_to_leave(advance(loan, LoanState.SITE_VISIT, cast), cast)
    loan = perform_transition(
        loan,
        "return_to_intake",
        actor=cast.manager,
        payload={"reason": "inconsistent_figures", "comment": "Amount too high for turnover."},
    )
    services.loan_update_application(loan=loan, amount=Decimal(60_000), term_months=18)

    loan = perform_transition(loan, "start_site_visit", actor=cast.manager)

    resubmission = audit_trail_of(loan).last()
    assert resubmission.changes == {
        "amount": ["80000.00", "60000.00"],
        "term_months": [12, 18],
    }
    returned = audit_trail_of(loan)[1]
    assert returned.action == "return_to_intake"
    assert returned.payload["reason"] == "inconsistent_figures"
