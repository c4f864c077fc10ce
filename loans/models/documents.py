"""Uploaded documents and photos, stored through Django's storage under random names, checked by
decoding their content (loans/uploads.py)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans import uploads
from loans.choices import DocumentKind
from loans.models.base import StageRecord, loan_fk, staff_fk
from loans.uploads import ACCEPTED, PHOTO_EXTENSIONS


def validate_upload(file: Any, kind: str) -> str:
    """Refuse a file too large, of an extension the kind does not accept, or whose content is
    not what it claims (loans/uploads.py); return its accepted extension."""
    accepted = PHOTO_EXTENSIONS if kind == DocumentKind.PHOTO else ACCEPTED
    return uploads.validate_upload(file, accepted)


def upload_path(document: Document, filename: str) -> str:
    """A random name under the loan's folder: the person's file name is kept as data only."""
    extension = PurePath(filename).suffix
    return f"loans/{document.loan_id}/{document.kind}/{uploads.storage_name(extension)}"


def thumbnail_path(document: Document, filename: str) -> str:
    """Beside the original, under the original's random name: ``<name>.thumb.jpg``. (The file
    field comes first in the model, so the original's name is final when this is asked.)"""
    return uploads.thumbnail_name(document.file.name)


class Document(StageRecord):
    author_field = "uploaded_by"

    loan = loan_fk(_("loan"), "documents")
    site_visit = models.ForeignKey(
        "loans.SiteVisit",
        verbose_name=_("site visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
        help_text=_("For photos and documents collected on a site visit."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=upload_path, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = staff_fk(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # A photo's small copy for the loan page (made on upload, turned upright by its EXIF).
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=thumbnail_path, max_length=255, blank=True
    )
    # When the photo was taken, from its EXIF DateTimeOriginal where the camera wrote one.
    captured_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return PurePath(self.file.name or "").suffix.lower() in PHOTO_EXTENSIONS

    @property
    def is_pdf(self) -> bool:
        return PurePath(self.file.name or "").suffix.lower() == uploads.PDF
