"""Changes to reference data — who holds which role and authority, the policy, the lists the
checks read — kept in the audit trail.

Reference data is not worked through a process: an administrator changes it directly. Each change
is still an event on the object's own hash chain, appended in the transaction that made it, with
what changed from what to what, so that compliance can read it and nobody can rewrite it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow.audit import append_event, diff, json_ready
from workflow.models import AuditEvent, Channel


class ReferenceAction(models.TextChoices):
    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    DELETED = "deleted", _("deleted")


def record_reference_change(
    obj: models.Model,
    *,
    action: ReferenceAction,
    actor: Any | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    channel: Channel,
    policy_version: str,
    scope: str = "",
    role: str = "",
    now: datetime | None = None,
) -> AuditEvent | None:
    """Append ``action`` on ``obj`` to its audit chain, unless nothing changed (then None).

    ``before`` and ``after`` are the object's reference facts (empty before a creation and after a
    deletion); ``after`` becomes the event's snapshot and the payload keeps the object's name and
    every changed fact as ``[before, after]``. Call it inside the transaction that makes the change,
    holding the row lock on ``obj``, and before a deletion (the event needs the object's key).
    """
    old, new = json_ready(before), json_ready(after)
    changes = diff(old, new)
    if not changes:
        return None
    return append_event(
        obj,
        snapshot=new,
        fields={
            "kind": AuditEvent.Kind.RECORDED,
            "action": action,
            "source_state": "",
            "target_state": "",
            "actor": actor,
            "actor_role": role,
            "payload": {"object": str(obj), "changes": changes},
            "channel": channel,
            "policy_version": policy_version,
            "scope": scope,
        },
        created_at=now or timezone.now(),
    )
