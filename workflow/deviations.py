"""Decisions on transitions, and the deviations that record refusals and other departures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from workflow.checks import CheckKind, CheckResult, Severity
from workflow.definition import Action, TransitionSpec
from workflow.models import Channel, Deviation
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
    """Write a deviation for ``decision`` in the current transaction."""
    deviation = deviation_for(process, obj, decision, actor, payload, channel, severity=severity)
    deviation.save()
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
) -> Deviation:
    """The deviation for ``decision``, unsaved (the sweep writes a set of them at once)."""
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
        created_at=timezone.now(),
    )


def _severity(decision: Decision) -> Deviation.Severity:
    soft_only = all(result.severity == Severity.SOFT for result in decision.failed)
    if decision.refusal == Deviation.Kind.CHECKS_FAILED and soft_only:
        return Deviation.Severity.MEDIUM
    return Deviation.Severity.HIGH
