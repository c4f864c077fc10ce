"""Site-visit records: the two-person investigation with its report, and collateral valuation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loans.models.base import StageRecord, loan_fk, money, staff_fk

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
