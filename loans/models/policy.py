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
    entrusted_payment_threshold = _money(_("entrusted payment above (CNY)"), 500_000)
    split_window_days = models.PositiveSmallIntegerField(
        _("split-drawdown window (days)"), default=30
    )
    # Portfolio structure
    single_borrower_limit = _money(_("single-borrower credit limit (CNY)"), 10_000_000)
    industry_concentration_limit = _share(_("largest share of one industry"), "0.300")
    guarantee_concentration_limit = _share(_("largest share of one guarantee type"), "0.500")
    group_concentration_limit = _share(_("largest share of one borrower group"), "0.050")
    concentration_min_portfolio = _money(
        _("concentration limits apply from a balance of (CNY)"), 5_000_000
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
    # Collections: a loan more than this many days past due opens a collection case.
    collection_after_days = models.PositiveSmallIntegerField(
        _("collection case opens after (days past due)"), default=90
    )
    collection_sla_days = models.JSONField(
        _("collection SLAs (days)"), default=default_collection_sla_days
    )
    # Risk score
    score_weights = models.JSONField(_("risk score weights"), default=default_score_weights)

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
        for name in (
            "industry_concentration_limit",
            "guarantee_concentration_limit",
            "group_concentration_limit",
        ):
            if not Decimal(0) < getattr(self, name) <= Decimal(1):
                errors[name] = _("A share is above 0 and at most 1.")
        if errors:
            raise ValidationError(errors)

    def _stored_in_force(self) -> bool:
        return PolicyVersion.objects.filter(pk=self.pk, effective_from__lte=timezone.now()).exists()

    # --- what the checks ask --------------------------------------------------------------

    @property
    def top_tier(self) -> tuple[Decimal, int]:
        return self.authority_tier_3, 3

    def required_authority(self, amount: Decimal) -> int | None:
        """The level one approver needs for ``amount``; None above the top tier (two needed)."""
        for level, ceiling in enumerate(
            (self.authority_tier_1, self.authority_tier_2, self.authority_tier_3), start=1
        ):
            if amount <= ceiling:
                return level
        return None
