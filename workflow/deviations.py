"""Decisions on transitions, and the deviations that record refusals and other departures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from workflow import seals, signals, writes
from workflow.audit import deviation_hash
from workflow.checks import CheckKind, CheckResult, Severity
from workflow.definition import Action, TransitionSpec
from workflow.models import Chain, Channel, Deviation
from workflow.registry import Process


@dataclass(frozen=True)
class Decision:
    """Whether ``actor`` may perform ``name`` on the object now, and every reason why not."""

    name: str
    source: str
    spec: TransitionSpec | Action | None
    role: str | None  # the role the actor would act in
    results: tuple[CheckResult, ...]
    refusal: Deviation.Kind | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None and not self.input_errors

    @property
    def failed(self) -> list[CheckResult]:
        """Checks that block the step (failed and not waived by a policy exception), other than
        checks of the person's input: those are input errors, never part of a deviation."""
        return [r for r in self.results if r.blocks and r.kind != CheckKind.INPUT]

    @property
    def input_errors(self) -> list[CheckResult]:
        """Failed checks of what the person typed with the step (answered as a form error)."""
        return [r for r in self.results if r.blocks and r.kind == CheckKind.INPUT]

    @property
    def awaiting_statement(self) -> bool:
        """Refused only for want of what the person writes with the step (an opinion): before
        they submit it, the step is open to them; submitted without it, it is a deviation."""
        failed = self.failed
        return (
            self.refusal == Deviation.Kind.CHECKS_FAILED
            and bool(failed)
            and all(result.kind == CheckKind.STATEMENT for result in failed)
        )

    @property
    def refused_before_input(self) -> bool:
        """Refusals that stand whatever the input: not now, not here, not this person."""
        return self.refusal in {
            Deviation.Kind.WRONG_STATE,
            Deviation.Kind.OUT_OF_SCOPE,
            Deviation.Kind.WRONG_ROLE,
            Deviation.Kind.WRONG_PERSON,
        }

    @property
    def waived(self) -> list[CheckResult]:
        return [result for result in self.results if result.waived_by is not None]


def record_deviation(
    process: Process,
    obj: models.Model,
    decision: Decision,
    actor: Any,
    payload: dict[str, Any],
    channel: Channel,
) -> Deviation:
    """Store the refusal in its own transaction, so that it outlives the rolled-back attempt."""
    with transaction.atomic(durable=True):
        return create_deviation(process, obj, decision, actor, payload, channel)


def create_deviation(
    process: Process,
    obj: models.Model,
    decision: Decision,
    actor: Any,
    payload: dict[str, Any],
    channel: Channel,
    *,
    severity: Deviation.Severity | None = None,
) -> Deviation:
    """Write a deviation for ``decision`` in the current transaction, chained to the object's
    previous deviation: the chain's seal row orders concurrent writers of the same object only."""
    deviation = deviation_for(process, obj, decision, actor, payload, channel, severity=severity)
    (deviation,) = chain_and_save([deviation])
    signals.send_on_commit(
        signals.deviation_recorded, Deviation, deviation=deviation, decision=decision
    )
    return deviation


def deviation_for(
    process: Process,
    obj: models.Model,
    decision: Decision,
    actor: Any,
    payload: dict[str, Any],
    channel: Channel,
    *,
    severity: Deviation.Severity | None = None,
    now: datetime | None = None,
) -> Deviation:
    """The deviation for ``decision``, unsaved and not yet chained (``chain_and_save`` does both,
    for one deviation or for the set the timer sweep writes at once)."""
    assert decision.refusal is not None  # noqa: S101 - only refusals are recorded
    return Deviation(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        scope=process.scope_of(obj),
        actor=actor,
        actor_roles=sorted(process.roles_of(actor)) if actor is not None else [],
        transition=decision.name,
        from_state=decision.source,
        kind=decision.refusal,
        severity=severity or _severity(decision),
        failed_checks=[result.as_record() for result in decision.failed],
        payload=payload,
        channel=channel,
        policy_version=process.policy_for(obj).version,
        created_at=now or timezone.now(),
    )


def chain_and_save(deviations: list[Deviation]) -> list[Deviation]:
    """Link each deviation to its object's deviation chain and write them, in two statements
    whatever their number: claim the chains' seals (locking them, so concurrent writers of the
    same object wait and writers of other objects do not), then insert the deviations and move the
    seals together (:mod:`workflow.writes`; three statements where the database cannot combine
    them). Deviations of the same object are chained in the order given."""
    if not deviations:
        return deviations
    keys = [(d.content_type_id, d.object_id) for d in deviations]
    heads = seals.claim_many(Chain.DEVIATIONS, keys, deviations[0].created_at)
    for deviation in deviations:
        head = heads[(deviation.content_type_id, deviation.object_id)]
        deviation.seq = head.seq + 1
        deviation.prev_hash = head.hash
        deviation.hash = deviation_hash(deviation)
        heads[(deviation.content_type_id, deviation.object_id)] = seals.Head(
            deviation.seq, deviation.hash
        )
    inserted = writes.together(
        seals.sealing(Chain.DEVIATIONS, heads, deviations[-1].created_at),
        writes.insert(deviations, returning=True),
    )
    for deviation, (key,) in zip(deviations, inserted, strict=True):
        writes.saved(deviation, key)
    return deviations


def _severity(decision: Decision) -> Deviation.Severity:
    soft_only = all(result.severity == Severity.SOFT for result in decision.failed)
    if decision.refusal == Deviation.Kind.CHECKS_FAILED and soft_only:
        return Deviation.Severity.MEDIUM
    return Deviation.Severity.HIGH
