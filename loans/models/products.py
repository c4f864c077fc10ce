"""Loan products and their limits."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loans.models.base import NamedInBothLanguages


class LoanProduct(NamedInBothLanguages):
    code = models.CharField(_("code"), max_length=32, unique=True)
    min_amount = models.DecimalField(_("minimum amount"), max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(_("maximum amount"), max_digits=14, decimal_places=2)
    min_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    max_term_months = models.PositiveSmallIntegerField(_("maximum term (months)"))
    collateral_required = models.BooleanField(_("collateral required"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=F("min_amount")),
                name="product_amount_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_term_months__gt=0) & Q(max_term_months__gte=F("min_term_months")),
                name="product_term_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and high < low:
            raise ValidationError({"max_amount": _("The maximum is below the minimum.")})
        shortest, longest = self.min_term_months, self.max_term_months
        if shortest and longest and longest < shortest:
            raise ValidationError({"max_term_months": _("The maximum is below the minimum.")})

    def amount_in_range(self, amount: Decimal) -> bool:
        return self.min_amount <= amount <= self.max_amount

    def term_in_range(self, months: int) -> bool:
        return self.min_term_months <= months <= self.max_term_months
