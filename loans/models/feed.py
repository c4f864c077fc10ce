"""The core-banking feed: each file imported (or refused), and the key of every row imported, so
that a file or a row imported once never applies again (loans/feed/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workflow.models import Channel


class FeedImport(models.Model):
    """One file of repayments and days past due from the core banking system."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("imported")
        REJECTED = "rejected", _("refused: nothing was imported")

    file_name = models.CharField(_("file"), max_length=255)
    file_hash = models.CharField(_("SHA-256 of the file"), max_length=64)
    branch = models.ForeignKey(
        "loans.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    repayments = models.PositiveIntegerField(_("repayments recorded"), default=0)
    days_past_due = models.PositiveIntegerField(_("days past due recorded"), default=0)
    already_imported = models.PositiveIntegerField(_("rows imported before"), default=0)
    # Each refused row: {"row", "column", "code", "reason": {language: text}}.
    rejections = models.JSONField(_("rows refused"), default=list)

    class Meta:
        verbose_name = _("core banking import")
        verbose_name_plural = _("core banking imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["file_hash"],
                condition=Q(outcome="imported"),
                name="feed_file_imported_once",
            )
        ]
        indexes = [models.Index(fields=["branch", "created_at"], name="feed_branch_newest")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_outcome_display()})"


class FeedRow(models.Model):
    """The key of one row imported (the core system's transaction, or the row's content)."""

    feed_import = models.ForeignKey(FeedImport, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")

    def __str__(self) -> str:
        return self.key
