"""The lending policy as versioned data: thresholds, tiers, limits, SLAs and score weights.

A version takes effect at ``effective_from`` and stays in force until a later version does. Checks
read the version in force when they run; audit events and deviations record its label, so a new
version never rewrites history. A version already in force cannot be edited: write a new one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STAGES_WITH_SLA = ("intake", "site_visit", "review", "approval", "disbursement")
RISK_FACTORS = ("debt_to_income", "credit_report", "guarantee", "concentration")


def default_sla_days() -> dict[str, int]:
    return {"intake": 3, "site_visit": 5, "review": 3, "approval": 2, "disbursement": 30}


# Collection cases (recovery/workflow.py): the stages with an SLA, in days.
COLLECTION_STAGES_WITH_SLA = (
    "open",
    "contacted",
    "restructuring_proposed",
    "legal_action",
    "write_off_proposed",
)


def default_collection_sla_days() -> dict[str, int]:
    return {
        "open": 3,
        "contacted": 10,
        "restructuring_proposed": 10,
        "legal_action": 60,
        "write_off_proposed": 10,
    }


def default_score_weights() -> dict[str, int]:
    return {"debt_to_income": 40, "credit_report": 30, "guarantee": 20, "concentration": 10}


# The account-manager scorecard's factors (insight/scorecard.py), in the order it shows them.
SCORECARD_FACTORS = (
    "volume",
    "cycle_time",
    "returns",
    "deviations",
    "sla_breaches",
    "inspections",
    "special_mention",
    "non_performing",
    "downgrades",
    "watch_list",
)


def default_scorecard_weights() -> dict[str, int]:
    """Volume counts, but quality counts more: a fifth of the composite (DOMAIN.md §6). The
    watch-list's weight came from cycle time's: answering a warning weighs as much as speed."""
    return {
        "volume": 20,
        "cycle_time": 5,
        "returns": 10,
        "deviations": 15,
        "sla_breaches": 10,
        "inspections": 10,
        "special_mention": 5,
        "non_performing": 15,
        "downgrades": 5,
        "watch_list": 5,
    }


def scorecard_weights_of(weights: dict[str, Any]) -> dict[str, int]:
    """Every factor's weight in a version's ``scorecard_weights``. A version written before a
    factor joined the scorecard names no weight for it and weighs it 0: a version in force is
    history (the database refuses to change it), so its periods keep the composite they had."""
    return {name: int(weights.get(name, 0)) for name in SCORECARD_FACTORS}


def default_loan_prime_rates() -> list[dict[str, str]]:
    """The loan prime rates published by the National Interbank Funding Center (percent)."""
    return [
        {"effective": "2024-02-20", "one_year": "3.45", "five_year": "3.95"},
        {"effective": "2024-07-22", "one_year": "3.35", "five_year": "3.85"},
        {"effective": "2024-10-21", "one_year": "3.10", "five_year": "3.60"},
        {"effective": "2025-05-20", "one_year": "3.00", "five_year": "3.50"},
    ]


def default_spread_floors() -> dict[str, int]:
    """The lowest spread over the LPR (basis points) per product code, without pricing
    authority."""
    return {"FARMER": 50, "MERCHANT": 80, "STARTUP": 0, "SME": 60}


def default_pricing_authority() -> dict[str, int]:
    """How many basis points below a product's floor an approver of each level may price."""
    return {"1": 0, "2": 20, "3": 50}


def _money(verbose: Any, default: int) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=14, decimal_places=2, default=Decimal(default))


def _share(verbose: Any, default: str) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose, max_digits=4, decimal_places=3, default=Decimal(default), help_text=_("0–1")
    )


class PolicyVersion(models.Model):
    version = models.CharField(_("version"), max_length=64, unique=True)
    effective_from = models.DateTimeField(_("effective from"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Site visit
    two_person_threshold = _money(_("two-person site visit from (CNY)"), 0)
    evidence_photo_count = models.PositiveSmallIntegerField(_("evidence items required"), default=3)
    # Approval authority: one approver of level n up to tier n; above tier 3, two of level 3.
    authority_tier_1 = _money(_("level 1 approves up to (CNY)"), 100_000)
    authority_tier_2 = _money(_("level 2 approves up to (CNY)"), 500_000)
    authority_tier_3 = _money(_("level 3 approves up to (CNY)"), 3_000_000)
    approval_expiry_days = models.PositiveSmallIntegerField(
        _("approval valid for (days)"), default=30
    )
    # Disbursement
    # Entrusted payment is the default; direct payment, with the bank's consent, up to these
    # amounts when the counterparty cannot be known in advance, or for business use.
    direct_payment_unknown_counterparty_limit = _money(
        _("direct payment, counterparty unknown, up to (CNY)"), 300_000
    )
    direct_payment_business_use_limit = _money(
        _("direct payment for business use up to (CNY)"), 500_000
    )
    split_window_days = models.PositiveSmallIntegerField(
        _("split-drawdown window (days)"), default=30
    )
    # Renewal
    renewal_in_arrears_allowed = models.BooleanField(
        _("a loan in arrears may be renewed"), default=False
    )
    # Extension (展期): the General Rules on Loans, art. 12 — the extensions of a short-term loan
    # add up to at most its term, of a medium-term loan to half of it, of a long-term to 3 years.
    extension_short_term_up_to_months = models.PositiveSmallIntegerField(
        _("short-term loans: a term up to (months)"), default=12
    )
    extension_medium_term_up_to_months = models.PositiveSmallIntegerField(
        _("medium-term loans: a term up to (months)"), default=60
    )
    extension_medium_term_share = _share(
        _("extensions of a medium-term loan: largest share of its term"), "0.500"
    )
    extension_long_term_most_months = models.PositiveSmallIntegerField(
        _("extensions of a long-term loan: at most (months)"), default=36
    )
    # Portfolio structure
    single_borrower_limit = _money(_("single-borrower credit limit (CNY)"), 10_000_000)
    industry_concentration_limit = _share(_("largest share of one industry"), "0.300")
    guarantee_concentration_limit = _share(_("largest share of one guarantee type"), "0.500")
    group_concentration_limit = _share(_("largest share of one borrower group"), "0.050")
    concentration_min_portfolio = _money(
        _("concentration limits apply from a balance of (CNY)"), 5_000_000
    )
    guarantor_open_loans_limit = models.PositiveSmallIntegerField(
        _("open loans one guarantor may back before an early warning"), default=3
    )
    # Time
    sla_days = models.JSONField(_("stage SLAs (days)"), default=default_sla_days)
    first_inspection_days = models.PositiveSmallIntegerField(
        _("first inspection within (days)"), default=15
    )
    inspection_interval_normal_days = models.PositiveSmallIntegerField(
        _("inspection interval, normal loans (days)"), default=90
    )
    inspection_interval_watch_days = models.PositiveSmallIntegerField(
        _("inspection interval, special mention or worse (days)"), default=30
    )
    # Pricing (loans/servicing/pricing.py): the LPR table, spread floors and pricing authority
    loan_prime_rates = models.JSONField(
        _("loan prime rates (LPR, %)"),
        default=default_loan_prime_rates,
        help_text=_(
            'A list of {"effective": "YYYY-MM-DD", "one_year": "3.00", "five_year": "3.50"}.'
        ),
    )
    spread_floors_bps = models.JSONField(
        _("spread floors by product (basis points)"), default=default_spread_floors
    )
    default_spread_floor_bps = models.SmallIntegerField(
        _("spread floor of other products (basis points)"), default=0
    )
    pricing_authority_bps = models.JSONField(
        _("pricing authority by approver level (basis points below the floor)"),
        default=default_pricing_authority,
    )
    overdue_interest_markup = _share(_("overdue interest above the contract rate"), "0.500")
    # Classification: a restructured loan's observation period (months, and repayment periods
    # without arrears; the longer of the two applies).
    restructured_observation_months = models.PositiveSmallIntegerField(
        _("observation of a restructured loan (months)"), default=12
    )
    restructured_observation_periods = models.PositiveSmallIntegerField(
        _("observation of a restructured loan (repayment periods without arrears)"), default=2
    )
    # Collections: a loan more than this many days past due opens a collection case.
    collection_after_days = models.PositiveSmallIntegerField(
        _("collection case opens after (days past due)"), default=90
    )
    collection_sla_days = models.JSONField(
        _("collection SLAs (days)"), default=default_collection_sla_days
    )
    # Risk score
    score_weights = models.JSONField(_("risk score weights"), default=default_score_weights)
    # Account-manager scorecard: the weight of each factor in the composite (they add up to 100)
    scorecard_weights = models.JSONField(_("scorecard weights"), default=default_scorecard_weights)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(authority_tier_1__lte=models.F("authority_tier_2"))
                & models.Q(authority_tier_2__lte=models.F("authority_tier_3")),
                name="policy_authority_tiers_ascending",
            ),
        ]

    def __str__(self) -> str:
        return self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and self._stored_in_force():
            raise ValidationError(
                _("Version %(version)s is in force and part of history; write a new version."),
                params={"version": self.version},
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._stored_in_force():
            raise ValidationError(_("A version that has been in force cannot be deleted."))
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not (self.authority_tier_1 <= self.authority_tier_2 <= self.authority_tier_3):
            errors["authority_tier_3"] = _("The authority tiers must ascend.")
        if (
            not isinstance(self.sla_days, dict)
            or set(self.sla_days) != set(STAGES_WITH_SLA)
            or (not all(isinstance(v, int) and v > 0 for v in self.sla_days.values()))
        ):
            errors["sla_days"] = _("Give a positive whole number of days for each of: %s.") % (
                ", ".join(STAGES_WITH_SLA)
            )
        collection = self.collection_sla_days
        if (
            not isinstance(collection, dict)
            or set(collection) != set(COLLECTION_STAGES_WITH_SLA)
            or (not all(isinstance(v, int) and v > 0 for v in collection.values()))
        ):
            errors["collection_sla_days"] = _(
                "Give a positive whole number of days for each of: %s."
            ) % (", ".join(COLLECTION_STAGES_WITH_SLA))
        weights = self.score_weights
        if (
            not isinstance(weights, dict)
            or set(weights) != set(RISK_FACTORS)
            or (not all(isinstance(v, int) and v >= 0 for v in weights.values()))
            or sum(weights.values()) != 100
        ):
            errors["score_weights"] = _("Give whole weights for %s that add up to 100.") % (
                ", ".join(RISK_FACTORS)
            )
        errors.update(self._scorecard_errors())
        for name in (
            "industry_concentration_limit",
            "guarantee_concentration_limit",
            "group_concentration_limit",
        ):
            if not Decimal(0) < getattr(self, name) <= Decimal(1):
                errors[name] = _("A share is above 0 and at most 1.")
        errors.update(self._pricing_errors())
        if errors:
            raise ValidationError(errors)

    def _scorecard_errors(self) -> dict[str, Any]:
        weights = self.scorecard_weights
        if (
            isinstance(weights, dict)
            and set(weights) == set(SCORECARD_FACTORS)
            and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in weights.values()
            )
            and sum(weights.values()) == 100
        ):
            return {}
        return {
            "scorecard_weights": _("Give whole weights for %s that add up to 100.")
            % ", ".join(SCORECARD_FACTORS)
        }

    def _pricing_errors(self) -> dict[str, Any]:
        from loans.servicing.pricing import lpr_table_errors

        errors: dict[str, Any] = {}
        problem = lpr_table_errors(self.loan_prime_rates)
        if problem:
            errors["loan_prime_rates"] = problem
        for name in ("spread_floors_bps", "pricing_authority_bps"):
            value = getattr(self, name)
            if not isinstance(value, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value.values()
            ):
                errors[name] = _("Give a whole number of basis points for each entry.")
        return errors

    def _stored_in_force(self) -> bool:
        return PolicyVersion.objects.filter(pk=self.pk, effective_from__lte=timezone.now()).exists()

    # --- what the checks ask --------------------------------------------------------------

    @property
    def top_tier(self) -> tuple[Decimal, int]:
        return self.authority_tier_3, 3

    def spread_floor(self, product_code: str) -> int:
        return int(self.spread_floors_bps.get(product_code, self.default_spread_floor_bps))

    def pricing_latitude(self, level: int | None) -> int:
        """How far below a product's floor (basis points) an approver of ``level`` may price."""
        return max(
            (int(v) for k, v in self.pricing_authority_bps.items() if int(k) <= (level or 0)),
            default=0,
        )

    def direct_payment_limit(self, ground: str) -> Decimal | None:
        """The most one direct payment on ``ground`` may be (None: no amount limit)."""
        from loans.choices import DirectPaymentGround

        unknown = self.direct_payment_unknown_counterparty_limit
        limits: dict[str, Decimal] = {
            DirectPaymentGround.UNKNOWN_COUNTERPARTY: unknown,
            DirectPaymentGround.BUSINESS_USE: self.direct_payment_business_use_limit,
        }
        return limits.get(ground)

    @property
    def extension_limits(self) -> Any:
        """The limits on extension (loans/servicing/extension.py) of this version."""
        from loans.servicing.extension import ExtensionLimits

        return ExtensionLimits(
            short_term_up_to=self.extension_short_term_up_to_months,
            medium_term_up_to=self.extension_medium_term_up_to_months,
            medium_term_share=Decimal(self.extension_medium_term_share),
            long_term_most=self.extension_long_term_most_months,
        )

    def required_authority(self, amount: Decimal) -> int | None:
        """The level one approver needs for ``amount``; None above the top tier (two needed)."""
        for level, ceiling in enumerate(
            (self.authority_tier_1, self.authority_tier_2, self.authority_tier_3), start=1
        ):
            if amount <= ceiling:
                return level
        return None
