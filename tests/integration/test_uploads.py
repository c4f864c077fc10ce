"""Uploads are proved by decoding, stored under random names, and capped before they are read:
polyglots, SVGs, truncated images and PDFs that are not PDFs are refused (a form error on the web,
a 400 in the API); real photos and PDFs are accepted."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from loans.journeys import EVIDENCE_PDF, EVIDENCE_PHOTO, act, advance
from loans.states import LoanState
from tests.api.test_api import api, assert_error

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b'<rect width="10" height="10"/></svg>'
)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_html_in_a_comment() -> bytes:
    """A JPEG that decodes, with an HTML page in a COM segment: both a photo and a page."""
    comment = b"\xff\xfe" + (len(HTML) + 2).to_bytes(2, "big") + HTML
    return EVIDENCE_PHOTO[:2] + comment + EVIDENCE_PHOTO[2:]


def upload(loan, user, name, content, kind="photo"):
    return act(loan, "document_upload", user, kind=kind, file=ContentFile(content, name=name))


@pytest.fixture
def visiting(loan, cast):
    return advance(loan, LoanState.SITE_VISIT, cast)


def test_the_polyglot_still_decodes_as_a_photo():
    """The case the magic-byte check let through: Pillow alone accepts it."""
    with Image.open(io.BytesIO(jpeg_with_html_in_a_comment())) as image:
        image.load()
        assert image.format == "JPEG"


@pytest.mark.parametrize(
    ("name", "content", "kind", "code"),
    [
        ("shop.jpg", jpeg_with_html_in_a_comment(), "photo", "file_active_content"),
        ("shop.jpg", EVIDENCE_PHOTO + HTML, "photo", "file_active_content"),  # HTML after the end
        (
            "licence.pdf",
            b"%PDF-1.7\n" + HTML + b"\n%%EOF\n",
            "business_licence",
            "file_active_content",
        ),
        (
            "licence.pdf",
            b"%PDF-1.4\n" + bytes(64) + b"\n%%EOF\n",
            "business_licence",
            "file_content",
        ),
        ("licence.pdf", EVIDENCE_PDF[: len(EVIDENCE_PDF) // 2], "business_licence", "file_content"),
        ("shop.svg", SVG, "photo", "file_type"),
        ("shop.png", SVG, "photo", "file_active_content"),
        ("shop.jpg", EVIDENCE_PHOTO[: len(EVIDENCE_PHOTO) * 2 // 3], "photo", "file_content"),
        ("shop.png", png()[:-30], "photo", "file_content"),
        ("shop.png", EVIDENCE_PHOTO, "photo", "file_content"),  # a JPEG named .png
        ("shop.jpg", b"\xff\xd8\xff\xe0" + bytes(64), "photo", "file_content"),  # a header only
        ("shop.html", HTML, "business_licence", "file_type"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    visiting, manager, name, content, kind, code
):
    with pytest.raises(ValidationError) as error:
        upload(visiting, manager, name, content, kind)

    assert error.value.error_dict["file"][0].code == code
    assert not visiting.documents.exists()


def test_a_pdf_with_javascript_is_refused(loan, manager):
    script = EVIDENCE_PDF.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    )
    with pytest.raises(ValidationError) as error:
        upload(loan, manager, "licence.pdf", script, kind="business_licence")
    assert error.value.error_dict["file"][0].code in {"file_active_content", "file_content"}


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("shop.jpg", EVIDENCE_PHOTO, "photo"),
        ("SHOP.JPEG", EVIDENCE_PHOTO, "photo"),
        ("shop.png", png(), "photo"),
        ("licence.pdf", EVIDENCE_PDF, "business_licence"),
    ],
)
def test_real_photos_and_pdfs_are_accepted(visiting, manager, name, content, kind):
    document = upload(visiting, manager, name, content, kind)

    assert document.original_name == name
    assert document.file.read() == content


def test_files_are_stored_under_random_names_and_keep_their_names_as_data(visiting, manager):
    first = upload(visiting, manager, "../../etc/shop.jpg", EVIDENCE_PHOTO)
    second = upload(visiting, manager, "../../etc/shop.jpg", EVIDENCE_PHOTO)

    stored = [first.file.name, second.file.name]
    for name in stored:
        assert re.fullmatch(rf"loans/{visiting.pk}/photo/[0-9a-f]{{32}}\.jpg", name), name
    assert stored[0] != stored[1]
    assert first.original_name == "shop.jpg"


def test_the_api_refuses_a_polyglot_with_a_field_error(visiting, manager):
    photo = SimpleUploadedFile("shop.jpg", jpeg_with_html_in_a_comment(), content_type="image/jpeg")
    response = api(manager).post(
        f"/api/v1/loans/{visiting.pk}/documents/",
        {"kind": "photo", "file": photo},
        format="multipart",
    )

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "file"
    assert body["errors"][0]["code"] == "file_active_content"
    assert not visiting.documents.exists()


def test_the_web_form_says_why_a_truncated_photo_is_refused(client, visiting, manager):
    client.force_login(manager)
    photo = SimpleUploadedFile("shop.jpg", EVIDENCE_PHOTO[:-40], content_type="image/jpeg")
    response = client.post(
        reverse("loans:record-add", args=[visiting.pk, "documents"]),
        {"kind": "photo", "file": photo},
    )

    assert response.status_code == 200
    assert "not a complete JPEG file" in response.content.decode()
    assert not visiting.documents.exists()


def test_an_upload_declared_too_large_is_refused_before_its_body_is_read(
    client, visiting, manager, settings
):
    """The guard answers from Content-Length: the body here is never there to be read."""
    client.force_login(manager)
    response = client.generic(
        "POST",
        reverse("loans:record-add", args=[visiting.pk, "documents"]),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.LOANFLOW_MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert not visiting.documents.exists()
