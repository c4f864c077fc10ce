"""The one function that performs every transition, and the preflight that previews them.

``perform_transition`` runs in its own durable database transaction: it locks and re-reads the
object, decides (scope, state, role, every check, waivers by policy exceptions), runs the django-fsm
transition, saves, runs the transition's effects, stops and starts the stage timers, and appends an
audit event hash-chained to the previous one. When the decision is a refusal, that transaction is
rolled back and the deviation is recorded in a second, separate transaction, so it survives the
rollback; the caller then receives a :class:`TransitionRefused` carrying every reason.

What the person typed is judged by the step's input checks: a failure is an :class:`InvalidInput`
(a form error, a 400), never a deviation. A repeat of the step the same person just performed (a
double click, a client retrying after a lost answer) answers with the state already reached.
Every other write to the object's file goes through :func:`workflow.actions.perform_action`, which
shares this decision machinery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin

from workflow import followups, idempotency, reads, signals, timers, writes
from workflow.audit import (
    CHAIN_HEAD,
    Appending,
    append_event,
    chain_head,
    forget_head,
    json_ready,
)
from workflow.checks import EVERY_FACT, Check, CheckContext, CheckKind, CheckResult, Severity
from workflow.definition import _running, changes_facts
from workflow.deviations import Decision, record_deviation
from workflow.models import AuditEvent, Channel, Deviation, PolicyException
from workflow.prepared import prepared_get
from workflow.registry import Process, process_for

M = TypeVar("M", bound=models.Model)


class UnknownTransition(LookupError):  # noqa: N818 - reads as what happened
    """The process has no transition (or action) of that name at all: a caller error."""


class TransitionRefused(Exception):  # noqa: N818 - it is a refusal, not an error in the code
    """A transition or action was refused; ``deviation`` is the record kept for compliance."""

    def __init__(self, decision: Decision, deviation: Deviation) -> None:
        self.decision = decision
        self.deviation = deviation
        self.kind = decision.refusal
        self.failed = decision.failed
        super().__init__(f"{decision.name} refused from {decision.source}: {self.kind}")


class InvalidInput(ValidationError):  # noqa: N818 - reads as what it is
    """What the person typed with the step is not acceptable. Not a deviation: nothing was
    attempted against the rules, and nothing was written."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        errors: dict[str, list[ValidationError]] = {}
        for result in decision.input_errors:
            errors.setdefault(result.field or NON_FIELD_ERRORS, []).append(
                ValidationError(result.reason, code=result.code)
            )
        super().__init__(errors)


@dataclass(frozen=True)
class TransitionOption:
    """One row of the preflight: a transition from the current state and how it stands."""

    name: str
    label: Any
    target: str
    target_label: Any
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def role_allowed(self) -> bool:
        return self.decision.refusal not in {Deviation.Kind.WRONG_ROLE, Deviation.Kind.OUT_OF_SCOPE}

    @property
    def awaiting_input(self) -> bool:
        """Only what the person types or writes with the step is missing: the step is open to
        them."""
        decision = self.decision
        return (decision.refusal is None and bool(decision.input_errors)) or (
            decision.awaiting_statement
        )

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return self.decision.results


def judge(
    process: Process,
    obj: models.Model,
    *,
    name: str,
    spec: Any,
    roles: frozenset[str],
    checks: Iterable[Check],
    actor: Any,
    payload: Mapping[str, Any],
    now: datetime,
) -> Decision:
    """Evaluate every check of a step open in the current state, and who may take it."""
    source = process.state_of(obj)
    context = CheckContext(
        obj=obj, actor=actor, payload=payload, policy=process.policy_for(obj), now=now
    )
    results = _apply_waivers(obj, name, source, [c.evaluate(context) for c in checks])
    held = sorted(process.roles_of(actor) & roles)
    role = process.acting_role(obj, held) if held else None
    failed = [r for r in results if r.blocks and r.kind != CheckKind.INPUT]
    refusal: Deviation.Kind | None = None
    if not process.can_access(actor, obj):
        refusal = Deviation.Kind.OUT_OF_SCOPE
    elif role is None:
        refusal = Deviation.Kind.WRONG_ROLE
    elif any(result.kind == CheckKind.PERSON for result in failed):
        refusal = Deviation.Kind.WRONG_PERSON
    elif failed:
        refusal = Deviation.Kind.CHECKS_FAILED
    return Decision(name, source, spec, role, results, refusal)


def not_open(
    process: Process, obj: models.Model, name: str, source: str, spec: Any, actor: Any
) -> Decision:
    """The refusal of a step not open in the object's state. Someone who may not act on the
    object at all is refused as out of scope whatever its state: not here comes before not now."""
    refusal = (
        Deviation.Kind.WRONG_STATE
        if process.can_access(actor, obj)
        else Deviation.Kind.OUT_OF_SCOPE
    )
    return Decision(name, source, spec, None, (), refusal)


def decide(
    obj: models.Model,
    name: str,
    *,
    actor: Any,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Decision:
    """Evaluate a transition for ``actor`` without performing it. Every check is evaluated."""
    process = process_for(obj)
    if name not in process.definition.names():
        raise UnknownTransition(f"{process.name} has no transition {name!r}.")
    source = process.state_of(obj)
    spec = process.definition.get(name, source)
    if spec is None or spec.step is None:
        return not_open(process, obj, name, source, None, actor)
    return judge(
        process,
        obj,
        name=name,
        spec=spec,
        roles=spec.step.roles,
        checks=spec.step.checks,
        actor=actor,
        payload=payload or {},
        now=now or timezone.now(),
    )


def _apply_waivers(
    obj: models.Model, name: str, source: str, results: list[CheckResult]
) -> tuple[CheckResult, ...]:
    """Mark failed soft checks covered by an unused policy exception as waived."""
    soft_failures = {r.code for r in results if not r.passed and r.severity == Severity.SOFT}
    if not soft_failures:
        return tuple(results)
    grants = dict(
        PolicyException.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            transition=name,
            from_state=source,
            check_code__in=soft_failures,
            consumed_at__isnull=True,
        ).values_list("check_code", "pk")
    )
    return tuple(
        replace(result, waived_by=grants[result.code])
        if result.code in grants and not result.passed
        else result
        for result in results
    )


def preflight(obj: models.Model, *, actor: Any) -> list[TransitionOption]:
    """Every transition from the object's current state, with its decision for ``actor``.

    The decisions share their reads: a check several transitions run reads the file once."""
    process = process_for(obj)
    now = timezone.now()
    options = []
    with reads.shared():
        for spec in process.definition.from_state(process.state_of(obj)):
            decision = decide(obj, spec.name, actor=actor, now=now)
            target_label = process.definition.label_of(spec.target)
            options.append(
                TransitionOption(spec.name, spec.label, spec.target, target_label, decision)
            )
    return options


def lock(obj: M, now: datetime, name: str | None = None) -> M:
    """Lock ``obj``'s row and read it again, in one statement, with what the step ``name`` needs:
    the related rows the process names (read, not locked), the facts of the file its checks,
    effects and service declare they read, and the last event of its audit chain. Without a
    name, the read serves any step."""
    model = type(obj)
    manager = model._default_manager
    process = process_for(model)
    reads = None if name is None else step_reads(process, name)

    def read(key: Any, at: datetime) -> models.QuerySet[M]:
        queryset = manager.select_for_update(of=("self",)).filter(pk=key)
        locked: models.QuerySet[M] = process.locked_read(queryset, at, reads).annotate(
            **{CHAIN_HEAD: chain_head(model)}
        )
        return locked

    # The same statement for every step reading the same facts: compiled once per connection,
    # content type id, day (a process may read ahead of today, e.g. the holiday calendar) and
    # the facts read.
    cache_key = (model, ContentType.objects.get_for_model(model).pk, timezone.localdate(), reads)
    return prepared_get(obj.pk, now, cache_key, read, using=manager.db)


_step_reads: dict[tuple[type[models.Model], str], frozenset[str]] = {}


def step_reads(process: Process, name: str) -> frozenset[str] | None:
    """The facts the step ``name`` declares it reads (found once per process and name); None for
    every fact (a check of the step runs other steps' checks: ``EVERY_FACT``)."""
    key = (process.model, name)
    if key not in _step_reads:
        _step_reads[key] = process.definition.reads(name)
    reads = _step_reads[key]
    return None if EVERY_FACT in reads else reads


def saved_values(obj: models.Model) -> dict[str, Any]:
    """The values of ``obj``'s concrete fields, to save only those a step changes."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def save_changes(obj: models.Model, before: Mapping[str, Any]) -> None:
    """Save the fields that differ from ``before`` (nothing when none does).

    As ``obj.save(update_fields=...)`` would, django-fsm's ``ConcurrentTransitionMixin``
    included (the UPDATE is filtered on the states the object was read in), but with the UPDATE
    built once per model and fields (:func:`workflow.writes.saving`) when the model saves as
    Django does; otherwise through ``save()`` itself."""
    pending = changes_to_save(obj, before)
    if pending is not None:
        [rows] = writes.at_once(pending.statement, using=pending.using)
        changes_saved(pending, rows)


def changes_to_save(obj: models.Model, before: Mapping[str, Any]) -> writes.Saving | None:
    """The UPDATE of :func:`save_changes`, built and not sent, to send with the step's other
    writes; None when there is nothing to send (no field changed, or the model's own ``save()``
    has saved them now)."""
    changed = [name for name, value in before.items() if getattr(obj, name) != value]
    if not changed:
        return None
    model = type(obj)
    if model.save in PLAIN_SAVES:
        states = {}
        if isinstance(obj, ConcurrentTransitionMixin):
            states = {field.attname: before[field.attname] for field in obj.state_fields}
        pending = writes.saving(obj, changed, where=states)
        if pending is not None:
            return pending
    obj.save(update_fields=changed)
    return None


def changes_saved(pending: writes.Saving, rows: list[tuple[Any, ...]]) -> None:
    """Finish the save of :func:`changes_to_save` with the rows its UPDATE returned: no row is a
    :class:`ConcurrentTransition` (the state changed since it was read) or, for an object that
    is gone, a database error."""
    obj = pending.obj
    concurrent = isinstance(obj, ConcurrentTransitionMixin)
    if not pending.done(rows):
        if concurrent and type(obj)._default_manager.filter(pk=obj.pk).exists():
            raise ConcurrentTransition(
                "Cannot save object! The state has been changed since fetched from the database!"
            )
        raise DatabaseError("Save with update_fields did not affect any rows.")
    if isinstance(obj, ConcurrentTransitionMixin):
        obj._update_initial_state()


# The saves that are Django's own (and django-fsm's, which filters on the states read):
# save_changes may do their work itself.
PLAIN_SAVES = (models.Model.save, ConcurrentTransitionMixin.save)


def perform_transition(
    obj: M,
    name: str,
    *,
    actor: Any,
    payload: Mapping[str, Any] | None = None,
    channel: Channel = Channel.WEB,
    idempotency_key: str = "",
) -> M:
    """Perform transition ``name`` on ``obj`` for ``actor``; return the object as now saved.

    Raises :class:`TransitionRefused` (after recording a deviation) when the transition is not
    allowed, :class:`InvalidInput` when the payload is not acceptable, and
    :class:`UnknownTransition` when the process has no such transition. A repeat under the same
    ``idempotency_key``, or of the step the same person just performed, returns the object as the
    first attempt left it.
    """
    process = process_for(obj)
    clean_payload = json_ready(payload or {})
    now = timezone.now()
    with reads.shared():
        try:
            with transaction.atomic(durable=True):
                locked = lock(obj, now, name)
                try:
                    if idempotency.replayed(locked, name, actor, idempotency_key) is not None:
                        return locked
                    decision = decide(locked, name, actor=actor, payload=clean_payload, now=now)
                    if decision.refusal == Deviation.Kind.WRONG_STATE and just_performed(
                        locked, name, actor
                    ):
                        return locked
                    settle(locked, decision)
                    event = _apply(process, locked, decision, actor, clean_payload, channel, now)
                    idempotency.remember(locked, name, actor, idempotency_key, event, now)
                    signals.send_on_commit(
                        signals.transition_performed,
                        type(obj),
                        obj=locked,
                        name=name,
                        actor=actor,
                        source=decision.source,
                        target=process.state_of(locked),
                        channel=channel,
                    )
                    return locked
                finally:
                    forget_head(locked)
                    process.unlocked(locked)
        except _Refusal as refusal:
            deviation = record_deviation(
                process, refusal.obj, refusal.decision, actor, clean_payload, channel
            )
            raise TransitionRefused(refusal.decision, deviation) from None


def settle(obj: models.Model, decision: Decision) -> None:
    """Go on with an allowed step; otherwise raise the input error or the refusal (roll back)."""
    if decision.refused_before_input:
        raise _Refusal(obj, decision)
    if decision.input_errors:
        raise InvalidInput(decision)
    if decision.refusal is not None:
        raise _Refusal(obj, decision)


def just_performed(obj: models.Model, name: str, actor: Any) -> bool:
    """Whether the latest event on ``obj`` is ``actor`` performing ``name`` into the current
    state: a repeat of it is a retry, not an attempt against the rules."""
    last = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .order_by("-seq")
        .values("action", "actor_id", "target_state")
        .first()
    )
    return bool(
        last
        and actor is not None
        and last["action"] == name
        and last["actor_id"] == actor.pk
        and last["target_state"] == process_for(obj).state_of(obj)
    )


class _Refusal(Exception):  # noqa: N818 - internal signal to roll back, never escapes the engine
    def __init__(self, obj: models.Model, decision: Decision) -> None:
        self.obj = obj
        self.decision = decision


def _apply(
    process: Process,
    obj: models.Model,
    decision: Decision,
    actor: Any,
    payload: dict[str, Any],
    channel: Channel,
    now: datetime,
) -> AuditEvent:
    spec = decision.spec
    step = getattr(spec, "step", None)
    assert step is not None  # noqa: S101 - decided above
    assert decision.role is not None  # noqa: S101
    token = _running.set((type(obj), obj.pk, decision.name))
    before = saved_values(obj)
    policy = process.policy_for(obj)
    context = CheckContext(obj=obj, actor=actor, payload=payload, policy=policy, now=now)
    saving = None
    try:
        getattr(obj, decision.name)()
        if process.state_of(obj) != decision.source:
            process.on_entered(obj, process.state_of(obj), now)
        for effect in step.effects:  # what they change on the object is saved with the step
            effect(context)
        if changes_facts(step.effects):
            # The audit snapshot reads the file again, the object's saved row included.
            process.file_changed(obj)
            save_changes(obj, before)
        else:
            saving = changes_to_save(obj, before)
    except ConcurrentTransition:
        raise _Refusal(obj, _wrong_state(decision)) from None
    finally:
        _running.reset(token)
    consume_waivers(decision, now)
    followups.after_step(obj, decision.name)
    # The step's writes, one statement where the database allows (workflow/writes.py): the
    # object's changed fields, the timers stopped and started, the audit event and its seal.
    change = timers.changing(process, obj, decision.source, now)
    appending = Appending(
        obj,
        snapshot=process.snapshot(obj),
        fields={
            "kind": AuditEvent.Kind.TRANSITIONED,
            "action": decision.name,
            "source_state": decision.source,
            "target_state": process.state_of(obj),
            "actor": actor,
            "actor_role": decision.role,
            "payload": payload,
            "channel": channel,
            "policy_version": policy.version,
            "scope": process.scope_of(obj),
        },
        created_at=now,
    )
    statements = [
        *([saving.statement] if saving else []),
        *(change.statements if change else []),
        *appending.statements,
    ]
    returned = writes.at_once(*statements)
    if saving is not None:
        try:
            changes_saved(saving, returned.pop(0))
        except ConcurrentTransition:
            raise _Refusal(obj, _wrong_state(decision)) from None
    if change is not None:
        change.done(returned[: len(change.statements)])
    return appending.done(returned)


def _wrong_state(decision: Decision) -> Decision:
    """The refusal of a step whose object changed state since it was read and decided."""
    return Decision(decision.name, decision.source, None, None, (), Deviation.Kind.WRONG_STATE)


def consume_waivers(decision: Decision, now: datetime) -> None:
    """Policy exceptions are single-use: the step they let pass uses them up."""
    waivers = [result.waived_by for result in decision.waived]
    if waivers:
        PolicyException.objects.filter(pk__in=waivers).update(consumed_at=now)


def record_event(
    obj: models.Model,
    action: str,
    *,
    actor: Any | None,
    payload: Mapping[str, Any] | None = None,
    channel: Channel = Channel.SYSTEM,
    role: str = "",
    now: datetime | None = None,
) -> AuditEvent:
    """Append a non-transition event (an action, a new risk class) to ``obj``'s audit chain.

    Call it inside the transaction that made the change, holding the row lock on ``obj``.
    """
    process = process_for(obj)
    state = process.state_of(obj)
    if not role and actor is not None:
        roles = sorted(process.roles_of(actor))
        role = roles[0] if roles else ""
    followups.after_step(obj, action)
    return append_event(
        obj,
        snapshot=process.snapshot(obj),
        fields={
            "kind": AuditEvent.Kind.RECORDED,
            "action": action,
            "source_state": state,
            "target_state": state,
            "actor": actor,
            "actor_role": role,
            "payload": json_ready(payload or {}),
            "channel": channel,
            "policy_version": process.policy_for(obj).version,
            "scope": process.scope_of(obj),
        },
        created_at=now or timezone.now(),
    )
