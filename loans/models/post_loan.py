"""Post-loan records: inspections and repayments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.choices import EarlyRepaymentOption, InspectionKind, InspectionMode, RiskClass
from loans.models.base import StageRecord, loan_fk, money, staff_fk


class Inspection(StageRecord):
    """A post-loan inspection (贷后检查).

    A class it proposes that is worse than the loan's applies at once; a better one (an upgrade)
    waits for a reviewer or approver other than the inspector to confirm it.
    """

    author_field = "inspector"

    loan = loan_fk(_("loan"), "inspections")
    kind = models.CharField(_("kind"), max_length=16, choices=InspectionKind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=InspectionMode.choices)
    inspector = staff_fk(_("inspector"))
    inspected_at = models.DateTimeField(_("inspected at"))
    findings = models.TextField(_("findings"))
    funds_used_as_stated = models.BooleanField(_("funds used for the stated purpose"))
    proposed_class = models.PositiveSmallIntegerField(
        _("classification proposed"), choices=RiskClass.choices, null=True, blank=True
    )
    upgrade_confirmed_by = staff_fk(_("upgrade confirmed by"), optional=True)
    upgrade_confirmed_at = models.DateTimeField(_("upgrade confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.kind} {self.inspected_at:%Y-%m-%d}"


class Repayment(StageRecord):
    author_field = "recorded_by"

    loan = loan_fk(_("loan"), "repayments")
    # The amount paid (named ``principal`` in the API): allocated to the schedule's instalments,
    # overdue interest, interest, then principal (loans/services/servicing.py).
    principal = money(_("amount repaid (CNY)"))
    paid_at = models.DateTimeField(_("paid at"))
    early_repayment = models.CharField(
        _("principal repaid early"),
        max_length=16,
        choices=EarlyRepaymentOption.choices,
        default=EarlyRepaymentOption.REAMORTISE,
        help_text=_("What an amount beyond the next instalment does to the instalments left."),
    )
    recorded_by = staff_fk(_("recorded by"))

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="repayment_positive")
        ]

    def __str__(self) -> str:
        return f"{self.loan} repaid {self.principal}"
