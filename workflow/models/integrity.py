"""The record's integrity: sealed chain heads, and the verification runs that check them."""

from __future__ import annotations

from typing import Any, NoReturn

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow.models.base import AppendOnlyError, AppendOnlyModel


class Chain(models.TextChoices):
    EVENTS = "events", _("audit trail")
    DEVIATIONS = "deviations", _("deviation log")
    REVIEWS = "reviews", _("deviation reviews")


class SealQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def delete(self) -> NoReturn:
        raise AppendOnlyError("Chain seals are never deleted.")


class ChainSeal(models.Model):
    """The head of one chain (its last seq and hash) under an HMAC keyed outside the database.

    Only ever moved forward, in the transaction that appends to the chain (one upsert), so a
    chain re-hashed after the fact or cut short no longer matches its seal.
    """

    chain = models.CharField(max_length=16, choices=Chain.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    last_seq = models.PositiveIntegerField()
    last_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, help_text="Which AUDIT_HMAC_KEY sealed it.")
    mac = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    objects = SealQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "content_type", "object_id"], name="chain_seal_unique_chain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain} {self.content_type_id}/{self.object_id} @ {self.last_seq}"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Chain seals are never deleted.")


class VerificationRun(AppendOnlyModel):
    """One verification of the record: when, what it covered, and the first break it found."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("daily schedule")
        COMMAND = "command", _("command")

    class Problem(models.TextChoices):
        SEQ_GAP = "seq_gap", _("an entry is missing or out of order")
        PREV_MISMATCH = "prev_mismatch", _("it does not link to the entry before it")
        HASH_MISMATCH = "hash_mismatch", _("its content does not match its hash")
        SEAL_MISSING = "seal_missing", _("the chain has no seal")
        SEAL_FORGED = "seal_forged", _("the seal was not made with the audit key")
        TRUNCATED = "truncated", _("the chain ends before its sealed head: entries were removed")
        UNSEALED = "unsealed", _("the chain goes past its sealed head: entries were added")
        HEAD_MISMATCH = "head_mismatch", _("the last entry is not the one that was sealed")
        ORPHANED = "orphaned", _("the deviation these reviews belong to is gone")
        TRAIL_MISSING = "trail_missing", _("the whole chain and its seal were removed")

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    scope_loan = models.CharField(max_length=64, blank=True, help_text="Empty: every object.")
    scope_since = models.DateField(null=True, blank=True)
    chains = models.PositiveIntegerField()
    entries = models.PositiveIntegerField()
    breaks = models.PositiveIntegerField()
    break_chain = models.CharField(max_length=16, choices=Chain.choices, blank=True)
    break_object = models.CharField(max_length=128, blank=True)
    break_seq = models.PositiveIntegerField(null=True, blank=True)
    break_problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.finished_at:%Y-%m-%d %H:%M}: {self.breaks} breaks"

    @property
    def intact(self) -> bool:
        return self.breaks == 0

    def describe_break(self) -> str:
        """The first break in words, e.g. "Audit trail of LN-2026-0001, entry 3: its content does
        not match its hash." (empty when the record verified)."""
        if self.intact:
            return ""
        where = gettext("%(chain)s of %(object)s") % {
            "chain": Chain(self.break_chain).label,
            "object": self.break_object,
        }
        if self.break_seq is not None:
            where = gettext("%(where)s, entry %(seq)s") % {"where": where, "seq": self.break_seq}
        problem = VerificationRun.Problem(self.break_problem).label
        return gettext("%(where)s: %(problem)s.") % {"where": capfirst(where), "problem": problem}

    @property
    def complete(self) -> bool:
        """Whether it covered every chain (no loan, no date)."""
        return not self.scope_loan and self.scope_since is None
