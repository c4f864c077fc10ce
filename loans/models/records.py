"""Records kept at each stage: the interview, the site visit, the signed contract."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Interview(models.Model):
    """The face-to-face interview (面谈) with the borrower at intake."""

    loan = models.ForeignKey(
        "loans.Loan", verbose_name=_("loan"), on_delete=models.CASCADE, related_name="interviews"
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(_("location"), max_length=255)
    notes = models.TextField(_("notes"))

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.loan} interview {self.held_at:%Y-%m-%d}"


class SiteVisit(models.Model):
    """The on-site investigation (双人调查): a lead and a co-investigator."""

    loan = models.ForeignKey(
        "loans.Loan", verbose_name=_("loan"), on_delete=models.CASCADE, related_name="site_visits"
    )
    lead_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead investigator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-investigator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("visited at"))
    location = models.CharField(_("location"), max_length=255)
    findings = models.TextField(_("findings"))

    class Meta:
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(co_investigator__isnull=True)
                | ~Q(co_investigator=F("lead_investigator")),
                name="site_visit_two_distinct_investigators",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} site visit {self.visited_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.co_investigator_id and self.co_investigator_id == self.lead_investigator_id:
            raise ValidationError(
                {"co_investigator": _("The co-investigator must be another person.")}
            )


class Contract(models.Model):
    """The loan contract, signed face to face (面签) in front of a witness."""

    loan = models.OneToOneField(
        "loans.Loan", verbose_name=_("loan"), on_delete=models.CASCADE, related_name="contract"
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_face_to_face = models.BooleanField(_("signed face to face"), default=False)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("witness"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.number

    @property
    def is_signed(self) -> bool:
        return bool(self.signed_at and self.signed_face_to_face and self.witness_id)
