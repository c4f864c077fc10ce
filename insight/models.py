"""Insight's own tables: one portfolio snapshot per office per local day."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortfolioSnapshot(models.Model):
    """The loans an office carries at the end of a local day, measured (insight/measure.py).

    One row per office and day: the live task and the backfill both upsert on (branch, day), so
    a second run on the same day over the same loans leaves the row as it was. ``figures`` holds
    the breakdowns: ``{dimension: {key: [balance, count]}}`` with balances as decimal strings.
    """

    branch = models.ForeignKey(
        "loans.Branch",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="portfolio_snapshots",
    )
    day = models.DateField(_("day"))
    balance = models.DecimalField(
        _("outstanding balance (CNY)"), max_digits=16, decimal_places=2, default=Decimal(0)
    )
    loan_count = models.PositiveIntegerField(_("loans"), default=0)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")
        ordering = ["branch", "day"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "day"], name="portfolio_snapshot_per_day")
        ]
        indexes = [models.Index(fields=["day", "branch"], name="portfolio_snapshot_day")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.day}"


# Process analytics' tables, in a module of their own (imported so Django finds them).
from insight.process_models import (  # noqa: E402
    DeviationWeek,
    FunnelWeek,
    Outcome,
    StageNow,
    StageVisit,
    StageWeek,
)
from insight.scorecard_models import ScorecardMonth  # noqa: E402  (the scorecard's own table)

__all__ = [
    "DeviationWeek",
    "FunnelWeek",
    "Outcome",
    "PortfolioSnapshot",
    "ScorecardMonth",
    "StageNow",
    "StageVisit",
    "StageWeek",
]
