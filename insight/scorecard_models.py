"""The scorecard's own table: one row of figures per account manager per month (pre-aggregated).

Written only by insight/scorecard_measure.py (the hourly task and the backfill), upserted on the
unique (manager, month), so a second run over the same records leaves every row as it was. The
scorecard page adds months into quarters; it never reads the records these figures come from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _money(verbose: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=16, decimal_places=2, default=Decimal(0))


class ScorecardMonth(models.Model):
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="scorecard_months",
    )
    branch = models.ForeignKey(
        "loans.Branch", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )  # the manager's office when measured
    month = models.DateField(_("month"))  # its first day
    # Loans the manager's disbursed in the month, and their days from application to disbursement
    disbursed_count = models.PositiveIntegerField(_("loans disbursed"), default=0)
    disbursed_amount = _money(_("amount disbursed (CNY)"))
    cycle_days = models.JSONField(_("days from application to disbursement"), default=list)
    returned_count = models.PositiveIntegerField(_("disbursed after a return"), default=0)
    # The manager's loans with any event in the month, and what went wrong with them
    handled_count = models.PositiveIntegerField(_("loans handled"), default=0)
    deviations_high = models.PositiveIntegerField(_("deviations, high"), default=0)
    deviations_medium = models.PositiveIntegerField(_("deviations, medium"), default=0)
    deviations_low = models.PositiveIntegerField(_("deviations, low"), default=0)
    sla_breaches = models.PositiveIntegerField(_("SLA breaches"), default=0)
    inspections_due = models.PositiveIntegerField(_("inspections due"), default=0)
    inspections_on_time = models.PositiveIntegerField(_("inspections on time"), default=0)
    downgrades = models.PositiveIntegerField(_("downgrades"), default=0)
    # The manager's book at the month's end (now, for the month under way)
    book_count = models.PositiveIntegerField(_("loans in the book"), default=0)
    book_balance = _money(_("book balance (CNY)"))
    special_mention_balance = _money(_("special mention (CNY)"))
    non_performing_balance = _money(_("non-performing (CNY)"))
    # The manager's watch-list items: open at the month's end (now, for the month under way) and
    # of them past their due; resolved in the month and of them after their due
    watch_open = models.PositiveIntegerField(_("watch-list items open"), default=0)
    watch_overdue = models.PositiveIntegerField(_("watch-list items overdue"), default=0)
    watch_resolved = models.PositiveIntegerField(_("watch-list items resolved"), default=0)
    watch_resolved_late = models.PositiveIntegerField(
        _("watch-list items resolved late"), default=0
    )
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("scorecard month")
        verbose_name_plural = _("scorecard months")
        ordering = ["month", "manager"]
        constraints = [
            models.UniqueConstraint(fields=["manager", "month"], name="scorecard_month_per_manager")
        ]
        indexes = [models.Index(fields=["month", "branch"], name="scorecard_month_branch")]

    def __str__(self) -> str:
        return f"{self.manager_id} {self.month:%Y-%m}"
