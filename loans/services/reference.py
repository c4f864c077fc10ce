"""Recording a change to reference data (staff, policy versions, the blocked list)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loans.models import User
from loans.policy import policy_in_force
from loans.roles import Role
from workflow.models import AuditEvent, Channel
from workflow.reference import ReferenceAction, record_reference_change


def reference_change_record(
    *,
    obj: Any,
    action: ReferenceAction,
    actor: User | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    channel: Channel,
) -> AuditEvent | None:
    """Append the change to ``obj``'s audit chain if a fact changed; call it in the transaction
    that makes the change, before a deletion. Scoped to the staff member's branch (the new one
    after a move); policy and the blocked list are bank-wide."""
    return record_reference_change(
        obj,
        action=action,
        actor=actor,
        before=before,
        after=after,
        channel=channel,
        policy_version=policy_in_force().version,
        scope=after.get("branch") or before.get("branch") or "",
        role=_role_of(actor),
    )


def _role_of(actor: User | None) -> str:
    if actor is None or not actor.roles:
        return ""
    if actor.has_role(Role.ADMINISTRATOR):
        return str(Role.ADMINISTRATOR)
    return sorted(actor.roles)[0]
