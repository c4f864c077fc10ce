"""Review records: the credit report and the reviewer's assessment with its risk score."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.choices import CreditReportResult
from loans.models.base import StageRecord, loan_fk, money, staff_fk


class CreditReport(StageRecord):
    """The result of the credit-report query (征信查询)."""

    author_field = "queried_by"

    loan = loan_fk(_("loan"), "credit_reports")
    queried_at = models.DateTimeField(_("queried at"))
    queried_by = staff_fk(_("queried by"))
    result = models.CharField(_("result"), max_length=32, choices=CreditReportResult.choices)
    overdue_accounts = models.PositiveSmallIntegerField(_("overdue accounts"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("credit report")
        verbose_name_plural = _("credit reports")
        ordering = ["-queried_at", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} credit report {self.result}"


class Review(StageRecord):
    """The reviewer's assessment: debt-to-income, an explainable risk score, an opinion."""

    author_field = "reviewer"

    loan = loan_fk(_("loan"), "reviews")
    reviewer = staff_fk(_("reviewer"))
    monthly_income = money(_("monthly income (CNY)"))
    monthly_debt_payments = money(
        _("monthly debt payments incl. this loan (CNY)"),
        help_text=_("All monthly repayments the borrower owes, including this loan's."),
    )
    debt_to_income = models.DecimalField(_("debt-to-income"), max_digits=6, decimal_places=3)
    risk_score = models.PositiveSmallIntegerField(_("risk score (0–100, higher is riskier)"))
    risk_factors = models.JSONField(_("risk score factors"), default=list)
    opinion = models.TextField(_("reviewer opinion"))
    portfolio = models.JSONField(_("portfolio-structure result"), default=dict)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_income__gt=0), name="review_income_positive")
        ]

    def __str__(self) -> str:
        return f"{self.loan} review, risk score {self.risk_score}"
