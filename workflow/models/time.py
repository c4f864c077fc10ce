"""Time: the holiday calendar, timers on workflow objects, notifications and the outbox."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A non-working day (public holidays); weekends are never business days."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Timer(models.Model):
    """A deadline on an object: remind before it, record lateness at it, escalate after it.

    Each action happens once: its ``*_at`` stamp is set in the transaction that performs it.
    ``next_action_at`` is the earliest action still to happen; the sweep reads only timers whose
    ``next_action_at`` has come, through a partial index on running timers.
    """

    class Kind(models.TextChoices):
        STAGE = "stage", _("stage SLA")
        INSPECTION = "inspection", _("post-loan inspection")

    # Found by (content type, object) (the index below): no index of its own.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.PositiveBigIntegerField()
    scope = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    stage = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    escalate_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                condition=Q(stopped_at__isnull=True, next_action_at__isnull=False),
                name="timer_running_next_action",
            ),
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stage} due {self.due_at:%Y-%m-%d %H:%M}"

    def pending_actions(self) -> dict[str, datetime]:
        """Actions not yet taken, with when they fall due."""
        actions = {
            "remind": (self.remind_at, self.reminded_at),
            "overdue": (self.due_at, self.overdue_at),
            "escalate": (self.escalate_at, self.escalated_at),
        }
        return {name: when for name, (when, done) in actions.items() if when and done is None}

    def refresh_next_action(self) -> None:
        pending = self.pending_actions().values()
        self.next_action_at = min(pending) if pending else None


class Notification(models.Model):
    """A message to one person in the in-app inbox; e-mailed too, through the outbox."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("reminder")
        OVERDUE = "overdue", _("overdue")
        ESCALATION = "escalation", _("escalation")
        AUDIT_BROKEN = "audit_broken", _("audit trail broken")
        MENTION = "mention", _("mention")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    timer = models.ForeignKey(
        Timer, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What it is about: the object of a process (a loan), whose page it links to.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    # The deviation it is also about (an escalation by compliance), linked beside the object.
    deviation = models.ForeignKey(
        "workflow.Deviation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["timer", "kind", "recipient"], name="notification_once_per_timer_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the transaction that made it necessary.

    The relay publishes unsent messages and stamps ``sent_at``; while the broker is away they
    wait here, so nothing is lost. Tasks are idempotent, so a message sent twice does no harm.
    """

    task = models.CharField(max_length=128)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The request (or task) that made the message necessary: the task runs under its id.
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent")
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args}"
