"""Process analytics' own tables: a compact row per stage visit, and the weekly aggregates the
dashboards read (docs/insight.md, "Process analytics").

``StageVisit`` is derived from the engine's record (the stage timer a transition stopped and the
audit event it appended), one row per stage left, unique on (loan, stage, left_at): the live write
after each commit and the backfill from the audit trail write the same row. The three weekly
tables are recomputed from it and from the deviation log by the hourly task, and ``StageNow`` from
the running stage timers; the pages read only them, the fifty running stage timers longest past
their deadline and the names the keys stand for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """How a stage visit ended."""

    FORWARD = "forward", _("passed on")
    RETURNED = "returned", _("returned for revision")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class StageVisit(models.Model):
    """A loan's stay in one stage of the application, from entering it to leaving it."""

    loan = models.ForeignKey("loans.Loan", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("loans.Branch", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "loans.LoanProduct", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who ended the stay: the person whose work the stage was (or who returned or rejected it).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=32)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField()
    hours = models.PositiveIntegerField(help_text="Elapsed hours, rounded to the nearest.")
    due_at = models.DateTimeField(null=True, blank=True, help_text="The stage SLA's deadline.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=32, blank=True, help_text="A return's reason code.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "stage", "left_at"], name="stage_visit_once")
        ]
        indexes = [models.Index(fields=["left_at"], name="stage_visit_left")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.stage} {self.hours} h"

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.left_at > self.due_at


class StageWeek(models.Model):
    """Stage visits that ended in one local week, by office, product, person, stage, outcome and
    reason: their count, how many ended past the SLA, their hours in total and as a histogram
    (insight/process_aggregate.py ``bucket``: medians and percentiles of any combination merge
    exactly, to the hour below a day)."""

    week = models.DateField(help_text="The Monday of the local week.")
    branch = models.ForeignKey("loans.Branch", on_delete=models.CASCADE, related_name="+")
    product_key = models.BigIntegerField(default=0, help_text="0: no product.")
    person_key = models.BigIntegerField(default=0, help_text="0: the system.")
    stage = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=32, blank=True)
    visits = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    total_hours = models.PositiveBigIntegerField(default=0)
    hours = models.JSONField(default=dict, help_text="{bucket's first hour: visits}")

    class Meta:
        indexes = [models.Index(fields=["branch", "week"], name="stage_week_branch")]

    def __str__(self) -> str:
        return f"{self.week} {self.stage} {self.visits}"


class FunnelWeek(models.Model):
    """The applications opened in one local week, by office, product and account manager: how
    far they went (``reached``: stage → loans), where they dropped out (``rejected`` and
    ``withdrawn``: stage → loans), and how many were disbursed."""

    week = models.DateField(help_text="The Monday of the local week the application opened.")
    branch = models.ForeignKey("loans.Branch", on_delete=models.CASCADE, related_name="+")
    product_key = models.BigIntegerField(default=0)
    person_key = models.BigIntegerField(default=0, help_text="The account manager.")
    opened = models.PositiveIntegerField(default=0)
    disbursed = models.PositiveIntegerField(default=0)
    reached = models.JSONField(default=dict)
    rejected = models.JSONField(default=dict)
    withdrawn = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["branch", "week"], name="funnel_week_branch")]

    def __str__(self) -> str:
        return f"{self.week} {self.opened}"


class DeviationWeek(models.Model):
    """Deviations recorded in one local week, by office, person and check (the failed check's
    code, or the refusal's kind when no check failed): the heat-map's cells."""

    week = models.DateField()
    branch = models.ForeignKey("loans.Branch", on_delete=models.CASCADE, related_name="+")
    person_key = models.BigIntegerField(default=0, help_text="0: found by the system.")
    check_code = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["branch", "week"], name="deviation_week_branch")]

    def __str__(self) -> str:
        return f"{self.week} {self.check_code} {self.count}"


class StageNow(models.Model):
    """The loans waiting in each stage when the hourly task last ran, by office, product and
    account manager, and how many of them were past their stage's SLA then: counted from the
    running stage timers and replaced whole at each run (its size follows offices × products ×
    account managers × stages, not loans)."""

    counted_at = models.DateTimeField(help_text="The run's moment: every row of a run has it.")
    branch = models.ForeignKey("loans.Branch", on_delete=models.CASCADE, related_name="+")
    product_key = models.BigIntegerField(default=0, help_text="0: no product.")
    person_key = models.BigIntegerField(default=0, help_text="The account manager; 0: none.")
    stage = models.CharField(max_length=32)
    waiting = models.PositiveIntegerField(default=0)
    stalled = models.PositiveIntegerField(default=0, help_text="Of them, past the SLA's deadline.")

    def __str__(self) -> str:
        return f"{self.stage} {self.waiting} waiting, {self.stalled} stalled"
