"""The lending policy in force. Checks read thresholds from it, never from literals.

Policy lives in :class:`loans.models.PolicyVersion` rows that administrators add; the one in force
at a moment is the latest whose ``effective_from`` has passed. Before any version is written, the
defaults of the lending rules apply, under the label ``DEFAULT_VERSION``.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateField, DecimalField, JSONField, Subquery, TextField, Value
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from loans.models.policy import PolicyVersion
from workflow import reads
from workflow.calendar import calendar_ahead, share_calendar

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
    (its checks, timers, audit event and any deviation), with the holiday calendar ahead."""
    return reads.once("loans.policy", _policy_and_calendar)


def _policy_and_calendar() -> PolicyVersion:
    now = timezone.now()
    today = timezone.localdate(now)
    version = (
        PolicyVersion.objects.filter(effective_from__lte=now)
        .annotate(holidays_ahead=calendar_ahead(today))
        .first()
    )
    if version is None:
        return default_policy()
    share_calendar(today, version.holidays_ahead)
    return version


# --- the policy read with a loan's row lock ---------------------------------------------------


def in_force_with_calendar(now: datetime) -> dict[str, Any]:
    """Annotations that bring the policy in force at ``now`` (as JSON) and the holiday calendar
    ahead of today with another read, so a step reads them with the loan it locks."""
    today = timezone.localdate()
    fields = PolicyVersion._meta.concrete_fields
    row = JSONObject(
        **{
            f.attname: Cast(f.attname, TextField()) if isinstance(f, DecimalField) else f.attname
            for f in fields
        }
    )
    latest = (
        PolicyVersion.objects.filter(effective_from__lte=now)
        .order_by("-effective_from")
        .values(row=row)[:1]
    )
    return {
        # As text: the same text is the same version, parsed once (_policy_of).
        "policy_in_force": Cast(Subquery(latest, output_field=JSONField()), TextField()),
        "holidays_from": Value(today, output_field=DateField()),
        "holidays_ahead": calendar_ahead(today),
    }


def share_locked_policy(obj: Any) -> None:
    """Adopt, for the rest of the step, the policy and calendar read with ``obj``'s lock."""
    if "policy_in_force" not in obj.__dict__ or reads.peek("loans.policy") is not None:
        return
    row = obj.__dict__.pop("policy_in_force")
    reads.keep("loans.policy", _policy_of(row) if row else default_policy())
    share_calendar(obj.__dict__.pop("holidays_from"), obj.__dict__.pop("holidays_ahead"))


@functools.lru_cache(maxsize=16)
def _policy_of(text: str) -> PolicyVersion:
    """The policy version whose row reads as ``text`` (JSON), parsed once per process: a version
    in force is never changed (``PolicyVersion.save``, and on PostgreSQL a trigger), and any
    change to a row would change its text. The instance is shared by the steps that read the
    same text: read it, never change it."""
    return _policy_from(json.loads(text))


def _policy_from(row: dict[str, Any]) -> PolicyVersion:
    fields = PolicyVersion._meta.concrete_fields
    values = []
    for f in fields:
        value = row[f.attname]
        if isinstance(f, JSONField) and isinstance(value, str):  # SQLite nests JSON as text
            value = json.loads(value)
        value = f.to_python(value)
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        values.append(value)
    policy: PolicyVersion = PolicyVersion.from_db("default", [f.attname for f in fields], values)
    return policy
