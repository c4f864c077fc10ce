"""The lending policy in force. Checks read thresholds from it, never from literals.

Policy lives in :class:`loans.models.PolicyVersion` rows that administrators add; the one in force
at a moment is the latest whose ``effective_from`` has passed. Before any version is written, the
defaults of the lending rules apply, under the label ``DEFAULT_VERSION``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from loans.models.policy import PolicyVersion
from workflow import reads

DEFAULT_VERSION = "defaults"


def default_policy() -> PolicyVersion:
    """The built-in defaults (DOMAIN.md), unsaved."""
    return PolicyVersion(version=DEFAULT_VERSION, effective_from=datetime(2000, 1, 1, tzinfo=UTC))


def policy_in_force(at: datetime | None = None) -> PolicyVersion:
    """The policy version in force at ``at`` (now by default)."""
    moment = at or timezone.now()
    version = PolicyVersion.objects.filter(effective_from__lte=moment).first()
    return version or default_policy()


def current_policy() -> PolicyVersion:
    """The policy in force now; within one step of the engine it is read once for the whole step
    (its checks, timers, audit event and any deviation)."""
    return reads.once("loans.policy", policy_in_force)
