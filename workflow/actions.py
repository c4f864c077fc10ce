"""The one function that performs every action: each write to an object's file that is not a
change of state (a record added, an application edited, a record corrected, a confirmation).

``perform_action`` decides exactly as ``perform_transition`` does, in one durable transaction
holding the object's row lock: the action must be open in the current state, to one of the
actor's roles, and every check must pass. The domain's service then makes the write, and an audit
event joins the object's hash chain with what was submitted and what changed. A refusal rolls
everything back and is recorded as a deviation; an input error rolls back and is only answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from workflow import idempotency, reads
from workflow.audit import forget_head, json_ready
from workflow.checks import CheckContext, CheckResult
from workflow.definition import Action
from workflow.deviations import Decision, record_deviation
from workflow.engine import (
    TransitionRefused,
    UnknownTransition,
    _Refusal,
    consume_waivers,
    judge,
    lock,
    not_open,
    record_event,
    settle,
)
from workflow.models import Channel
from workflow.registry import process_for


@dataclass(frozen=True)
class ActionOption:
    """One action open in the object's current state, and how it stands for a person."""

    action: Action
    decision: Decision

    @property
    def name(self) -> str:
        return self.action.name

    @property
    def label(self) -> Any:
        return self.action.label

    @property
    def allowed(self) -> bool:
        """Open to this person now (what they type is judged when they submit it)."""
        return self.decision.refusal is None

    @property
    def blocking(self) -> list[CheckResult]:
        return self.decision.failed


def decide_action(
    obj: models.Model,
    name: str,
    *,
    actor: Any,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Decision:
    """Evaluate action ``name`` for ``actor`` without performing it. Every check is evaluated."""
    process = process_for(obj)
    declared = process.definition.action(name)
    if declared is None:
        raise UnknownTransition(f"{process.name} has no action {name!r}.")
    state = process.state_of(obj)
    if state not in declared.states:
        return not_open(process, obj, name, state, declared, actor)
    return judge(
        process,
        obj,
        name=name,
        spec=declared,
        roles=declared.roles,
        checks=declared.checks,
        actor=actor,
        payload=payload or {},
        now=now or timezone.now(),
    )


def action_options(
    obj: models.Model, *, actor: Any, names: set[str] | None = None
) -> list[ActionOption]:
    """The actions open in the object's state (those in ``names``), decided for ``actor``."""
    process = process_for(obj)
    now = timezone.now()
    with reads.shared():
        return [
            ActionOption(declared, decide_action(obj, declared.name, actor=actor, now=now))
            for declared in process.definition.actions_in(process.state_of(obj))
            if names is None or declared.name in names
        ]


def perform_action(
    obj: models.Model,
    name: str,
    *,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    channel: Channel = Channel.WEB,
    idempotency_key: str = "",
) -> Any:
    """Perform action ``name`` on ``obj`` with the person's ``data``; return what it wrote.

    Raises :class:`~workflow.engine.TransitionRefused` (after recording a deviation),
    :class:`~workflow.engine.InvalidInput` or the service's ``ValidationError`` (nothing written,
    nothing recorded), or :class:`~workflow.engine.UnknownTransition`.
    """
    process = process_for(obj)
    values = dict(data or {})
    now = timezone.now()
    with reads.shared():
        try:
            with transaction.atomic(durable=True):
                locked = lock(obj, now)
                try:
                    return _perform(locked, name, actor, values, channel, idempotency_key, now)
                finally:
                    forget_head(locked)
                    process.unlocked(locked)
        except _Refusal as refusal:
            deviation = record_deviation(
                process, refusal.obj, refusal.decision, actor, json_ready(values), channel
            )
            raise TransitionRefused(refusal.decision, deviation) from None


def _perform(
    locked: models.Model,
    name: str,
    actor: Any,
    values: dict[str, Any],
    channel: Channel,
    idempotency_key: str,
    now: datetime,
) -> Any:
    """Decide and perform the action on the locked object (inside the step's transaction)."""
    process = process_for(locked)
    earlier = idempotency.replayed(locked, name, actor, idempotency_key)
    if earlier is not None:
        return idempotency.result_of(earlier)
    decision = decide_action(locked, name, actor=actor, payload=values, now=now)
    settle(locked, decision)
    declared = process.definition.action(name)
    assert declared is not None  # noqa: S101 - decided above
    policy = process.policy_for(locked)
    context = CheckContext(
        obj=locked, actor=actor, payload=values, policy=policy, now=now, channel=channel
    )
    result = declared.run(context)
    process.file_changed(locked)
    consume_waivers(decision, now)
    record_event(
        locked,
        name,
        actor=actor,
        payload=_audit_payload(values, result, context.audit),
        channel=channel,
        role=decision.role or "",
        now=now,
    )
    idempotency.remember(locked, name, actor, idempotency_key, result, now)
    return result


def _audit_payload(values: dict[str, Any], result: Any, facts: dict[str, Any]) -> dict[str, Any]:
    payload = {**values, **facts}
    if isinstance(result, models.Model):
        payload["record"] = {"type": result._meta.label_lower, "id": result.pk}
    return payload
