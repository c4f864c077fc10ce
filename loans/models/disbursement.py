"""Disbursement records: the contract signed face to face, and the drawdowns."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.choices import DirectPaymentGround, LprTenor, PaymentMethod
from loans.models.base import StageRecord, loan_fk, money, staff_fk


class Contract(models.Model):
    """The loan contract, signed face to face (面签) in front of a witness.

    Versioned, never overwritten: recording the contract again adds a version, and the loan's
    contract is its latest version (``Loan.contract``).
    """

    loan = loan_fk(_("loan"), "contracts")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    number = models.CharField(_("contract number"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_face_to_face = models.BooleanField(_("signed face to face"), default=False)
    witness = staff_fk(_("witness"), optional=True)
    recorded_by = staff_fk(_("recorded by"), optional=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    # The rate and its basis, fixed when the contract is recorded (loans/servicing/pricing.py)
    annual_rate = models.DecimalField(
        _("annual rate (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    lpr_tenor = models.CharField(_("priced on"), max_length=2, choices=LprTenor.choices, blank=True)
    lpr_rate = models.DecimalField(
        _("loan prime rate (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    lpr_date = models.DateField(_("loan prime rate of"), null=True, blank=True)
    spread_bps = models.SmallIntegerField(_("spread (basis points)"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version"], name="contract_version_unique")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_signed(self) -> bool:
        return bool(self.signed_at and self.signed_face_to_face and self.witness_id)


class Drawdown(StageRecord):
    """A release of funds: planned in the disbursement stage, paid by the disburse transition."""

    author_field = "requested_by"

    loan = loan_fk(_("loan"), "drawdowns")
    amount = money(_("amount (CNY)"))
    method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    counterparty_name = models.CharField(_("counterparty"), max_length=128, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=64, blank=True)
    # Paid to the borrower's own account: the ground on which the bank consents to it.
    direct_payment_ground = models.CharField(
        _("ground for direct payment"),
        max_length=24,
        choices=DirectPaymentGround.choices,
        blank=True,
    )
    requested_by = staff_fk(_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("drawdown")
        verbose_name_plural = _("drawdowns")
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="drawdown_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.loan} drawdown {self.amount}"

    @property
    def names_counterparty(self) -> bool:
        return bool(self.counterparty_name.strip() and self.counterparty_account.strip())
