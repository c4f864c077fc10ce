"""The one function that performs every action: each write to an object's file that is not a
change of state (a record added, an application edited, a record corrected, a confirmation).

``perform_action`` decides exactly as ``perform_transition`` does, in one durable transaction
holding the object's row lock: the action must be open in the current state, to one of the
actor's roles, and every check must pass. The domain's service then makes the write, and an audit
event joins the object's hash chain with what was submitted and what changed. A refusal rolls
everything back and is recorded as a deviation; an input error rolls back and is only answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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


class _Unchanged:
    """What a service returns when the action found nothing to change (e.g. a figure fed again
    with the same value): the step is allowed and done, and no audit event is written."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()


@dataclass(frozen=True)
class ActionStep:
    """One action of a batch (:func:`perform_actions`): ``name`` on ``obj`` with ``data``."""

    obj: models.Model
    name: str
    actor: Any
    data: Mapping[str, Any] = field(default_factory=dict)


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
        """Open to this person now (what they type or write is judged when they submit it)."""
        return self.decision.refusal is None or self.decision.awaiting_statement

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
                locked = lock(obj, now, name)
                try:
                    return perform_locked(
                        locked, name, actor, values, channel, idempotency_key, now
                    )
                finally:
                    forget_head(locked)
                    process.unlocked(locked)
        except _Refusal as refusal:
            deviation = record_deviation(
                process, refusal.obj, refusal.decision, actor, json_ready(values), channel
            )
            raise TransitionRefused(refusal.decision, deviation) from None


def perform_locked(
    locked: models.Model,
    name: str,
    actor: Any,
    values: dict[str, Any],
    channel: Channel,
    idempotency_key: str,
    now: datetime,
) -> Any:
    """Decide and perform the action on the locked object, inside the step's transaction and
    holding its row lock (an action, or one item of a batch: workflow/batch.py)."""
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
    if result is UNCHANGED:
        return None
    consume_waivers(decision, now)
    record_event(
        locked,
        name,
        actor=actor,
        payload=audit_payload(values, result, context.audit),
        channel=channel,
        role=decision.role or "",
        now=now,
    )
    idempotency.remember(locked, name, actor, idempotency_key, result, now)
    return result


def perform_actions(
    steps: Sequence[ActionStep],
    *,
    channel: Channel = Channel.SYSTEM,
    first: Callable[[], Any] | None = None,
) -> list[Any]:
    """Perform many actions, on one object or many, in one durable transaction: all or none.

    Each step is decided, written and audited exactly as :func:`perform_action` would; the object
    of consecutive steps is locked once. Give the steps of one object together, and the objects
    in primary-key order, so two batches over the same objects never wait on each other in a
    circle. ``first`` runs inside the transaction before any lock (e.g. the row that claims a
    batch, whose unique key makes a second claim wait for the first to end). The first refusal
    rolls every step back and is recorded as a deviation; an input error rolls back and is raised.
    """
    now = timezone.now()
    results: list[Any] = []
    current: tuple[type[models.Model], Any] | None = None
    locked: models.Model | None = None
    with reads.shared():
        try:
            with transaction.atomic(durable=True):
                if first is not None:
                    first()
                try:
                    for step in steps:
                        key = (type(step.obj), step.obj.pk)
                        if key != current or locked is None:
                            _release(locked)
                            locked, current = lock(step.obj, now), key
                        values = dict(step.data)
                        try:
                            results.append(
                                perform_locked(
                                    locked, step.name, step.actor, values, channel, "", now
                                )
                            )
                        except _Refusal as refusal:
                            raise _BatchRefusal(refusal, step.actor, values) from None
                finally:
                    _release(locked)
        except _BatchRefusal as batch:
            refused = batch.refusal
            deviation = record_deviation(
                process_for(refused.obj),
                refused.obj,
                refused.decision,
                batch.actor,
                json_ready(batch.values),
                channel,
            )
            raise TransitionRefused(refused.decision, deviation) from None
    return results


class _BatchRefusal(Exception):  # noqa: N818 - internal: which step of a batch was refused
    def __init__(self, refusal: _Refusal, actor: Any, values: dict[str, Any]) -> None:
        self.refusal = refusal
        self.actor = actor
        self.values = values


def _release(locked: models.Model | None) -> None:
    if locked is not None:
        forget_head(locked)
        process_for(locked).unlocked(locked)


def audit_payload(values: dict[str, Any], result: Any, facts: dict[str, Any]) -> dict[str, Any]:
    """What an action's audit event records: the values entered, the facts the action noted
    (``CheckContext.audit``) and the record it made."""
    payload = {**values, **facts}
    if isinstance(result, models.Model):
        payload["record"] = {"type": result._meta.label_lower, "id": result.pk}
    return payload
