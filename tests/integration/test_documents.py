"""Documents and photos: a thumbnail and the capture time on upload, served only through the
authorised view (branch and role, nosniff), and site-visit photos uploaded several at once through
the engine."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from loans.choices import DocumentKind
from loans.journeys import EVIDENCE_PDF, EVIDENCE_PHOTO, act, advance
from loans.models import Document
from loans.roles import Role
from loans.states import LoanState
from loans.uploads import THUMBNAIL_SIZE, capture_time
from tests import factories
from workflow.models import AuditEvent, Deviation

pytestmark = pytest.mark.django_db


def photo_with_exif(
    taken: str | None = "2026:11:20 09:30:00",
    *,
    offset: str | None = None,
    orientation: int = 1,
    size: tuple[int, int] = (1200, 600),
) -> bytes:
    """A JPEG as a phone writes it: its capture time and orientation in EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 120, 60)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def visiting(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    visit = act(
        loan,
        "site_visit_record",
        cast.manager,
        co_investigator=cast.co_investigator,
        visited_at=timezone.now(),
        location="The shop",
        business="Open.",
        cash_flow="Steady.",
        repayment_source="Sales.",
        guarantee="Met.",
    )
    return loan, visit


def upload(loan, user, content, name="shop.jpg", **data):
    return act(
        loan,
        "document_upload",
        user,
        kind=data.pop("kind", DocumentKind.PHOTO),
        file=ContentFile(content, name=name),
        **data,
    )


def test_a_photo_gets_an_upright_thumbnail_beside_it_on_upload(visiting, cast):
    loan, visit = visiting
    # Orientation 6: the camera was turned; the picture is shown rotated a quarter turn.
    document = upload(loan, cast.manager, photo_with_exif(orientation=6), site_visit=visit)

    assert document.thumbnail.name == document.file.name.replace(".jpg", ".thumb.jpg")
    assert default_storage.exists(document.thumbnail.name)
    with default_storage.open(document.thumbnail.name) as stored, Image.open(stored) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == THUMBNAIL_SIZE
        assert thumb.size[0] < thumb.size[1]  # upright: taller than wide, as the scene was
    with default_storage.open(document.file.name) as original:
        assert original.read() == photo_with_exif(orientation=6)  # kept as uploaded


def test_a_pdf_gets_no_thumbnail(visiting, cast):
    loan, _visit = visiting
    document = upload(loan, cast.manager, EVIDENCE_PDF, "licence.pdf", kind="business_licence")

    assert not document.thumbnail
    assert document.captured_at is None


def test_the_capture_time_is_read_from_the_photos_exif(visiting, cast):
    loan, visit = visiting

    document = upload(loan, cast.manager, photo_with_exif("2026:11:20 09:30:00"), site_visit=visit)
    document.refresh_from_db()

    # No offset written: the bank's local time (Asia/Shanghai), 01:30 UTC.
    assert document.captured_at == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def test_the_capture_time_keeps_the_cameras_offset_and_is_absent_without_exif():
    with_offset = io.BytesIO(photo_with_exif("2026:11:20 09:30:00", offset="+02:00"))
    assert capture_time(with_offset) == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert capture_time(io.BytesIO(photo_with_exif(None))) is None
    assert capture_time(io.BytesIO(EVIDENCE_PHOTO)) is None
    assert capture_time(io.BytesIO(photo_with_exif("not a date"))) is None


def test_the_capture_time_is_shown_in_local_time_on_the_loan_page(client, visiting, cast):
    loan, visit = visiting
    upload(loan, cast.manager, photo_with_exif("2026:11:20 09:30:00", offset="+00:00"),
           site_visit=visit)  # fmt: skip
    client.force_login(cast.manager)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert "2026-11-20 17:30" in page  # 09:30 UTC is 17:30 in Shanghai


def test_the_document_view_serves_the_file_inline_with_nosniff(client, visiting, cast):
    loan, visit = visiting
    document = upload(loan, cast.manager, photo_with_exif(), "门店 1.jpg", site_visit=visit)
    client.force_login(cast.approver)

    response = client.get(reverse("loans:document", args=[loan.pk, document.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "filename*=utf-8''%E9%97%A8%E5%BA%97%201.jpg" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == photo_with_exif()
    thumbnail = client.get(reverse("loans:document-thumbnail", args=[loan.pk, document.pk]))
    assert thumbnail.status_code == 200
    assert thumbnail["X-Content-Type-Options"] == "nosniff"
    download = client.get(reverse("loans:document", args=[loan.pk, document.pk]) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_a_pdf_may_be_framed_by_the_site_itself_only(client, visiting, cast):
    loan, _visit = visiting
    document = upload(loan, cast.manager, EVIDENCE_PDF, "licence.pdf", kind="business_licence")
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:document", args=[loan.pk, document.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    assert f'<iframe src="{reverse("loans:document", args=[loan.pk, document.pk])}"' in page


def test_the_document_view_refuses_another_branch_with_404(client, visiting, cast, other_branch):
    loan, visit = visiting
    document = upload(loan, cast.manager, EVIDENCE_PHOTO, site_visit=visit)
    for role in (Role.APPROVER, Role.BRANCH_HEAD):
        client.force_login(factories.staff(role, branch=other_branch, username=f"far-{role}"))
        assert client.get(reverse("loans:document", args=[loan.pk, document.pk])).status_code == 404
    other_loan = factories.LoanFactory(account_manager=cast.manager)
    client.force_login(cast.approver)  # the document is not the other loan's
    url = reverse("loans:document", args=[other_loan.pk, document.pk])
    assert client.get(url).status_code == 404


def test_the_document_view_refuses_a_role_that_does_not_read_documents_with_403(
    client, visiting, cast, branch
):
    loan, visit = visiting
    document = upload(loan, cast.manager, EVIDENCE_PHOTO, site_visit=visit)
    administrator = factories.staff(Role.ADMINISTRATOR, branch=branch, username="admin7")
    client.force_login(administrator)

    response = client.get(reverse("loans:document", args=[loan.pk, document.pk]))

    assert response.status_code == 403
    thumbnail = reverse("loans:document-thumbnail", args=[loan.pk, document.pk])
    assert client.get(thumbnail).status_code == 403


def test_no_media_url_serves_the_stored_files(client, visiting, cast):
    loan, visit = visiting
    document = upload(loan, cast.manager, EVIDENCE_PHOTO, site_visit=visit)
    client.force_login(cast.manager)

    assert client.get(f"/media/{document.file.name}").status_code == 404
    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    assert document.file.name not in page


def test_several_photos_are_uploaded_at_once_each_through_the_engine(client, visiting, cast):
    loan, visit = visiting
    client.force_login(cast.manager)
    files = [
        SimpleUploadedFile(f"shop-{n}.jpg", photo_with_exif(), content_type="image/jpeg")
        for n in range(3)
    ]
    files.append(SimpleUploadedFile("fake.jpg", b"not a photo", content_type="image/jpeg"))

    response = client.post(
        reverse("loans:site-visit-photos", args=[loan.pk, visit.pk]),
        {"photos": files, "idempotency_key": "k1"},
        follow=True,
    )

    stored = Document.objects.filter(site_visit=visit)
    assert sorted(d.original_name for d in stored) == ["shop-0.jpg", "shop-1.jpg", "shop-2.jpg"]
    assert all(d.thumbnail and d.captured_at for d in stored)
    uploads = AuditEvent.objects.filter(object_id=loan.pk, action="document_upload")
    assert uploads.count() == 3
    page = response.content.decode()
    assert "3 photos added." in page
    assert "fake.jpg: " in page  # the refused file, by name, with why


def test_the_pages_script_gets_json_for_each_photo(client, visiting, cast):
    loan, visit = visiting
    client.force_login(cast.manager)
    url = reverse("loans:site-visit-photos", args=[loan.pk, visit.pk])

    ok = client.post(
        url,
        {"photos": [SimpleUploadedFile("a.jpg", photo_with_exif())], "idempotency_key": "t-f0"},
        headers={"accept": "application/json"},
    )
    bad = client.post(
        url,
        {"photos": [SimpleUploadedFile("b.jpg", b"nope")], "idempotency_key": "t-f1"},
        headers={"accept": "application/json"},
    )

    assert ok.status_code == 200
    assert ok.json()["stored"] == 1
    assert bad.status_code == 400
    assert bad.json()["stored"] == 0
    assert bad.json()["errors"][0].startswith("b.jpg: ")


def test_a_photo_upload_by_someone_else_is_refused_and_recorded(client, visiting, cast):
    loan, visit = visiting
    client.force_login(cast.reviewer)

    client.post(
        reverse("loans:site-visit-photos", args=[loan.pk, visit.pk]),
        {"photos": [SimpleUploadedFile("a.jpg", photo_with_exif())]},
    )

    assert not Document.objects.filter(site_visit=visit).exists()
    assert Deviation.objects.filter(object_id=loan.pk, transition="document_upload").exists()


def test_the_site_visit_offers_camera_capture_of_several_photos(client, visiting, cast):
    loan, visit = visiting
    client.force_login(cast.manager)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    form = page.split("data-photo-upload")[1].split("</form>")[0]
    assert 'type="file" name="photos" accept="image/*" capture="environment" multiple' in form
    assert reverse("loans:site-visit-photos", args=[loan.pk, visit.pk]) in page
    client.force_login(cast.reviewer)
    theirs = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()
    assert "data-photo-upload" not in theirs
