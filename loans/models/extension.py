"""Extension (展期): a request to move a loan's maturity later, from post-loan management, that
goes through review and approval again (loans/workflow.py, the ``extension_*`` actions). An
approved extension makes a new version of the repayment schedule over the extended term."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import EXTENSION_PENDING as PENDING
from loans.choices import ExtensionStatus
from loans.models.base import loan_fk, staff_fk

__all__ = ["PENDING", "Extension", "ExtensionStatus"]


class Extension(models.Model):
    """One request to extend a loan, with its review, any endorsement and the decision."""

    loan = loan_fk(_("loan"), "extensions")
    months = models.PositiveSmallIntegerField(_("extension (months)"))
    reason = models.TextField(_("reason"))
    maturity_before = models.DateField(_("maturity before"))
    maturity_after = models.DateField(_("maturity requested"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.REQUESTED,
        db_index=True,
    )
    requested_by = staff_fk(_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    reviewed_by = staff_fk(_("reviewed by"), optional=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_opinion = models.TextField(_("review opinion"), blank=True)
    endorsed_by = staff_fk(_("endorsed by"), optional=True)
    endorsed_at = models.DateTimeField(_("endorsed at"), null=True, blank=True)
    decided_by = staff_fk(_("decided by"), optional=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    schedule = models.ForeignKey(
        "loans.RepaymentSchedule",
        verbose_name=_("schedule version made"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=models.Q(status__in=PENDING),
                name="extension_one_pending_per_loan",
            ),
            models.CheckConstraint(
                condition=models.Q(months__gt=0), name="extension_months_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} +{self.months}"

    @property
    def pending(self) -> bool:
        return self.status in PENDING
