"""Servicing: repayment schedules (versioned), their instalments, and how repayments were
allocated to them. Written only by the disburse step and the repayment action (loans/workflow.py);
the arithmetic is loans/servicing/schedule_maths.py."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.choices import RepaymentMethod
from loans.models.base import loan_fk, money


def rate_field(verbose: object) -> models.DecimalField[Decimal, Decimal]:
    """An annual rate in percent, e.g. 3.5000 for 3.5 %."""
    return models.DecimalField(verbose, max_digits=7, decimal_places=4)  # type: ignore[arg-type]


class ScheduleReason(models.TextChoices):
    DISBURSEMENT = "disbursement", _("disbursement")
    EARLY_REPAYMENT = "early_repayment", _("early repayment")
    EXTENSION = "extension", _("extension")


class RepaymentSchedule(models.Model):
    """One version of a loan's repayment schedule (还款计划). A changed schedule is a new version;
    earlier versions stay as they were. The loan's schedule is its latest version."""

    loan = loan_fk(_("loan"), "schedules")
    version = models.PositiveSmallIntegerField(_("version"))
    reason = models.CharField(_("reason"), max_length=32, choices=ScheduleReason.choices)
    principal = money(_("principal scheduled (CNY)"))
    annual_rate = rate_field(_("annual rate (%)"))
    method = models.CharField(_("repayment method"), max_length=32, choices=RepaymentMethod.choices)
    start_date = models.DateField(_("interest from"))
    created_at = models.DateTimeField(_("created at"))
    repayment = models.ForeignKey(
        "loans.Repayment",
        verbose_name=_("caused by the repayment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("repayment schedule")
        verbose_name_plural = _("repayment schedules")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version"], name="schedule_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.loan} v{self.version}"

    @property
    def rate_fraction(self) -> Decimal:
        return self.annual_rate / 100


class Instalment(models.Model):
    """An instalment of one schedule version, with what has been charged and paid on it."""

    schedule = models.ForeignKey(
        RepaymentSchedule,
        verbose_name=_("repayment schedule"),
        on_delete=models.CASCADE,
        related_name="instalments",
    )
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due on"))
    principal = money(_("principal (CNY)"))
    interest = money(_("interest (CNY)"))
    principal_paid = money(_("principal paid (CNY)"), default=Decimal(0))
    interest_paid = money(_("interest paid (CNY)"), default=Decimal(0))
    overdue_interest_charged = money(_("overdue interest charged (CNY)"), default=Decimal(0))
    overdue_interest_paid = money(_("overdue interest paid (CNY)"), default=Decimal(0))
    overdue_charged_to = models.DateField(_("overdue interest charged to"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["schedule", "number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "number"], name="instalment_unique"),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0), name="instalment_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} #{self.number}"

    @property
    def total(self) -> Decimal:
        return Decimal(self.principal + self.interest)

    @property
    def paid(self) -> Decimal:
        return Decimal(self.principal_paid + self.interest_paid)

    @property
    def settled(self) -> bool:
        return self.paid >= self.total


class RepaymentAllocation(models.Model):
    """What one repayment paid: on an instalment (overdue interest, interest, principal), or,
    without an instalment, principal repaid early (a new schedule version follows)."""

    repayment = models.ForeignKey(
        "loans.Repayment",
        verbose_name=_("repayment"),
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    instalment = models.ForeignKey(
        Instalment,
        verbose_name=_("instalment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    number = models.PositiveSmallIntegerField(_("instalment number"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"))
    overdue_interest = money(_("overdue interest (CNY)"), default=Decimal(0))
    interest = money(_("interest (CNY)"), default=Decimal(0))
    principal = money(_("principal (CNY)"), default=Decimal(0))

    class Meta:
        verbose_name = _("repayment allocation")
        verbose_name_plural = _("repayment allocations")
        ordering = ["paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.repayment} → {self.number or '-'}"
