"""The audit trail, the deviation log and policy exceptions, written by the engine."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.models.base import AppendOnlyModel


class Channel(models.TextChoices):
    WEB = "web", _("web")
    API = "api", _("API")
    ADMIN = "admin", _("administration site")
    SYSTEM = "system", _("system")


class AuditEvent(AppendOnlyModel):
    """One thing that happened to a workflow object, chained to the previous one by SHA-256."""

    class Kind(models.TextChoices):
        TRANSITIONED = "transitioned", _("transitioned")
        RECORDED = "recorded", _("recorded")  # a change within a stage, e.g. a new risk class

    # Every step appends one: the table has no index that the chain's own (content type, object,
    # seq) does not cover, since each is written on every step (docs/performance.md).
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.PositiveBigIntegerField()
    seq = models.PositiveIntegerField(help_text="Position in this object's chain, from 1.")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    action = models.CharField(max_length=64, help_text="The transition's name.")
    source_state = models.CharField(max_length=32)
    target_state = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="Empty for the system's own events.",
    )
    actor_role = models.CharField(max_length=32, blank=True, help_text="The role acted in.")
    payload = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Fields changed since the previous event: [old, new]."
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    policy_version = models.CharField(max_length=64)
    scope = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    # Found by its object and seq, never by its hash: not indexed.
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["content_type", "object_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "seq"], name="audit_event_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.source_state}→{self.target_state} by {self.actor_id}"


class Deviation(AppendOnlyModel):
    """An attempt that departed from the process: refused, and kept for compliance."""

    class Kind(models.TextChoices):
        WRONG_STATE = "wrong_state", _("transition not available in this state")
        OUT_OF_SCOPE = "out_of_scope", _("object outside the user's scope")
        WRONG_ROLE = "wrong_role", _("user lacks an allowed role")
        WRONG_PERSON = "wrong_person", _("this person may not act (duties or authority)")
        CHECKS_FAILED = "checks_failed", _("mandatory checks failed")
        POLICY_EXCEPTION = "policy_exception", _("policy exception granted")
        EXCEPTION_REFUSED = "exception_refused", _("policy exception refused")
        SLA_OVERDUE = "sla_overdue", _("stage left past its SLA")
        INSPECTION_OVERDUE = "inspection_overdue", _("post-loan inspection overdue")

    class Severity(models.TextChoices):
        HIGH = "high", _("high")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    scope = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deviations",
        help_text="Empty when the system detected it (e.g. lateness).",
    )
    actor_roles = models.JSONField(default=list)
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    failed_checks = models.JSONField(default=list)
    payload = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    policy_version = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    seq = models.PositiveIntegerField(help_text="Position in this object's deviation chain.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            # The log's pages, newest or oldest first (keyset paging on created_at, id): of one
            # branch, and across branches for a head who oversees several.
            models.Index(fields=["scope", "created_at", "id"], name="deviation_scope_time"),
            models.Index(fields=["created_at", "id"], name="deviation_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "seq"], name="deviation_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.transition} from {self.from_state} by {self.actor_id}"

    @property
    def failed_codes(self) -> list[str]:
        return [item["code"] for item in self.failed_checks]


class PolicyException(models.Model):
    """A recorded permission to pass one failed soft check of one transition, once."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    check_code = models.CharField(max_length=64)
    justification = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_exceptions"
    )
    granted_at = models.DateTimeField()
    deviation = models.OneToOneField(
        Deviation, on_delete=models.PROTECT, related_name="policy_exception"
    )
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["content_type", "object_id", "transition"])]

    def __str__(self) -> str:
        return f"{self.check_code} waived for {self.transition} by {self.granted_by_id}"


class ExceptionRequest(models.Model):
    """A request to let one failed soft check of one transition pass, waiting for a person
    allowed to grant policy exceptions; granted (a :class:`PolicyException`) or declined."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        GRANTED = "granted", _("granted")
        DECLINED = "declined", _("declined")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    scope = models.CharField(max_length=64, blank=True)
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    check_code = models.CharField(max_length=64)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    exception = models.OneToOneField(
        PolicyException, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["scope", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "transition", "check_code"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_check",
            )
        ]

    def __str__(self) -> str:
        return f"{self.check_code} for {self.transition}: {self.status}"


class DeviationReview(AppendOnlyModel):
    """A compliance officer's step on a deviation: acknowledge, escalate or resolve, with a note.

    The deviation's status is that of its latest review (``open`` without one). A deviation's
    reviews form a chain of their own whose first link is the deviation's hash.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ESCALATED = "escalated", _("escalated")
        RESOLVED = "resolved", _("resolved")

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deviation_reviews"
    )
    created_at = models.DateTimeField()
    seq = models.PositiveIntegerField(help_text="Position in this deviation's review chain.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deviation", "seq"], name="deviation_review_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.deviation_id} → {self.status}"


class IdempotencyKey(models.Model):
    """A step a person performed under a key of their own (an API client's ``Idempotency-Key``, a
    web form's one-time token): a repeat with the same key answers with what the first reached."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=64)
    result_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.PROTECT, related_name="+"
    )
    result_id = models.PositiveBigIntegerField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.object_id} by {self.actor_id}"
