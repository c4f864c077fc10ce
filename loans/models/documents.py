"""Uploaded documents and photos, stored through Django's storage, checked by type and size."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from loans.choices import DocumentKind
from loans.models.base import StageRecord, loan_fk, staff_fk

# What a file's first bytes must be for each accepted extension: the name alone can lie.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF-",),
}
PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png"})


def validate_upload(file: Any, kind: str) -> None:
    """Refuse files that are too large, of an extension not accepted, or not what they claim."""
    limit = settings.LOANFLOW_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    extension = PurePath(file.name).suffix.lower()
    accepted = PHOTO_EXTENSIONS if kind == DocumentKind.PHOTO else frozenset(SIGNATURES)
    if extension not in accepted:
        raise ValidationError(
            _("Accepted files: %(types)s."),
            code="file_type",
            params={"types": ", ".join(sorted(accepted))},
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not head.startswith(SIGNATURES[extension]):
        raise ValidationError(
            _("The file's content is not a %(type)s file."),
            code="file_content",
            params={"type": extension.lstrip(".").upper()},
        )


def upload_path(document: Document, filename: str) -> str:
    return f"loans/{document.loan_id}/{document.kind}/{PurePath(filename).name}"


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

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
