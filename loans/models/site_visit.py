"""Site-visit records: the two-person investigation with its report, collateral valuation and the
guarantors of the loan."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loans.choices import GuarantorKind
from loans.models.base import StageRecord, loan_fk, money, staff_fk
from loans.validators import normalise_resident_id, normalise_uscc

REPORT_SECTIONS = ("business", "cash_flow", "repayment_source", "guarantee")


class SiteVisit(StageRecord):
    """The on-site investigation (双人调查): a lead and a co-investigator, and their report.

    The co-investigator confirms the visit with their own login before it counts as two-person.
    """

    author_field = "lead_investigator"

    loan = loan_fk(_("loan"), "site_visits")
    lead_investigator = staff_fk(_("lead investigator"))
    co_investigator = staff_fk(_("co-investigator"), optional=True)
    co_investigator_confirmed_at = models.DateTimeField(
        _("confirmed by the co-investigator at"), null=True, blank=True
    )
    visited_at = models.DateTimeField(_("visited at"))
    location = models.CharField(_("location"), max_length=255)
    business = models.TextField(_("business"), blank=True)
    cash_flow = models.TextField(_("cash flow"), blank=True)
    repayment_source = models.TextField(_("repayment source"), blank=True)
    guarantee = models.TextField(_("guarantee"), blank=True)

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

    def empty_sections(self) -> list[str]:
        return [name for name in REPORT_SECTIONS if not getattr(self, name).strip()]


class CollateralValuation(StageRecord):
    author_field = "recorded_by"

    loan = loan_fk(_("loan"), "collateral_valuations")
    description = models.CharField(_("collateral"), max_length=255)
    value = money(_("value (CNY)"))
    appraiser = models.CharField(_("appraiser"), max_length=128)
    valued_at = models.DateField(_("valued on"))
    recorded_by = staff_fk(_("recorded by"))

    class Meta:
        verbose_name = _("collateral valuation")
        verbose_name_plural = _("collateral valuations")
        ordering = ["-valued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="collateral_value_positive")
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.value}"


class Guarantor(StageRecord):
    """A guarantor of the loan (保证人) and the guarantee contract they signed. Whether the identity
    number is valid for the kind, and that the borrower is not their own guarantor, are the add
    action's checks (loans/workflow.py); the early-warning signals read guarantors by identity
    number (watch/rules.py)."""

    author_field = "recorded_by"

    loan = loan_fk(_("loan"), "guarantors")
    kind = models.CharField(_("kind of guarantor"), max_length=16, choices=GuarantorKind.choices)
    name = models.CharField(_("guarantor"), max_length=128)
    id_number = models.CharField(
        _("identity number"),
        max_length=18,
        db_index=True,
        help_text=_("Resident ID number of a person, unified social credit code of a company."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    amount = money(_("amount guaranteed (CNY)"))
    signed_on = models.DateField(_("guarantee contract signed on"))
    recorded_by = staff_fk(_("recorded by"))

    class Meta:
        verbose_name = _("guarantor")
        verbose_name_plural = _("guarantors")
        ordering = ["signed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="guarantee_amount_positive")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        normalise = normalise_uscc if self.kind == GuarantorKind.COMPANY else normalise_resident_id
        self.id_number = normalise(self.id_number or "")
