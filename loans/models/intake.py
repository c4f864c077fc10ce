"""Intake records: the interview, the credit-report authorisation, blocked borrowers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import CreditQueryPurpose
from loans.models.base import StageRecord, loan_fk, staff_fk
from loans.personal_data import PersonalField, mask


class Interview(StageRecord):
    """The face-to-face interview (面谈) with the borrower at intake."""

    author_field = "interviewer"

    loan = loan_fk(_("loan"), "interviews")
    interviewer = staff_fk(_("interviewer"))
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(_("location"), max_length=255)
    notes = models.TextField(_("notes"))

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.loan} interview {self.held_at:%Y-%m-%d}"


class CreditAuthorisation(StageRecord):
    """The borrower's written consent to query their credit report, and what for."""

    author_field = "recorded_by"

    loan = loan_fk(_("loan"), "credit_authorisations")
    signed_at = models.DateTimeField(_("signed at"))
    written_consent = models.BooleanField(
        _("the borrower consented in writing"),
        default=False,
        help_text=_("A consent given orally or by a third party does not authorise a query."),
    )
    purpose = models.CharField(_("purpose"), max_length=24, choices=CreditQueryPurpose.choices)
    recorded_by = staff_fk(_("recorded by"))
    document = models.ForeignKey(
        "loans.Document",
        verbose_name=_("signed form"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit report authorisation")
        verbose_name_plural = _("credit report authorisations")
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.loan} authorisation {self.signed_at:%Y-%m-%d}"


class BlockedBorrower(models.Model):
    """A person or firm the bank will not lend to (fraud, court enforcement, bad debts)."""

    id_number = models.CharField(_("identity number"), max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=128)
    reason = models.TextField(_("reason"))
    added_by = staff_fk(_("added by"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("blocked borrower")
        verbose_name_plural = _("blocked borrowers")
        ordering = ["-added_at"]

    def __str__(self) -> str:
        return f"{self.name} ({mask(self.id_number, PersonalField.ID_NUMBER)})"
