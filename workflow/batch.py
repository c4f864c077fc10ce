"""One action performed on each of a set of objects, in one transaction: the engine's batch.

:func:`perform_in_batches` decides and writes exactly as :func:`workflow.actions.perform_action`
does for each object, but a set of objects (a few hundred) at a time, with statements that do
not grow with the set:

1. the set is locked and read again in one statement, in key order (``WHERE pk IN (...) ORDER BY
   pk FOR UPDATE OF`` the object's table), with the facts the single locked read brings (the
   process's ``locked_read`` and the last event of each audit chain);
2. the action reads for the set what its checks and service need (its ``prepare_many``);
3. every check of each object is evaluated with the same context as for one action; the first
   refusal rolls everything back and is recorded as a deviation after the rollback, an input
   error rolls back and is raised;
4. the action's batch service (``perform_many``) writes for the whole set;
5. the audit snapshots of the changed objects are read together (``Process.snapshots``), their
   events inserted with one statement and their chains' seals moved with the same statement
   (one event per object, chained to its own previous one);
6. ``then`` names, for each object, the actions that follow, performed on the objects already
   locked: as a batch of their own when the action has a batch service, else one by one as
   :func:`workflow.actions.perform_actions` performs them (each object's events stay in order).

Every batch of a call runs in the same durable transaction: all or none. An object's actions in
a batch have no idempotency key; what makes a batch safe to repeat is the caller's (e.g. the
import's claim of its file and rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, models, transaction
from django.utils import timezone

from workflow import followups, reads, seals, writes
from workflow.actions import UNCHANGED, ActionStep, audit_payload, decide_action, perform_locked
from workflow.audit import (
    CHAIN_HEAD,
    chain_head,
    diff,
    event_hash,
    forget_head,
    json_ready,
    last_event,
)
from workflow.checks import CheckContext
from workflow.definition import Action
from workflow.deviations import Decision, record_deviation
from workflow.engine import TransitionRefused, _Refusal, consume_waivers, settle
from workflow.models import AuditEvent, Chain, Channel
from workflow.registry import Process, process_for

M = TypeVar("M", bound=models.Model)

# Objects locked and written together: large enough that a batch's fixed statements are cheap
# per object, small enough that its rows and events stay a few megabytes.
BATCH_SIZE = 250

FollowUps = Callable[[CheckContext, Any], Sequence[ActionStep]]


@dataclass(frozen=True)
class _Done:
    """One object's part of a batch once its checks passed."""

    context: CheckContext
    decision: Decision
    values: dict[str, Any]


def perform_in_batches(
    model: type[M],
    name: str,
    data: Mapping[Any, Mapping[str, Any]],
    *,
    actor: Any,
    channel: Channel = Channel.SYSTEM,
    size: int | None = None,
    first: Callable[[], Any] | None = None,
    then: FollowUps | None = None,
) -> dict[Any, Any]:
    """Perform action ``name`` as ``actor`` on each object of ``model`` keyed in ``data`` (its
    primary key → the step's data), ``size`` objects at a time (``BATCH_SIZE``), all in one
    durable transaction; return each object's result by key.

    ``first`` runs inside the transaction before any lock (e.g. the row that claims the work).
    ``then(context, result)`` gives the actions to perform next on that object, as locked (e.g.
    the system's step that a figure triggers; see :func:`_follow`). Raises
    :class:`~workflow.engine.TransitionRefused` after recording the deviation of the first
    refused object, :class:`~workflow.engine.InvalidInput` (nothing written, nothing recorded).
    """
    process = process_for(model)
    declared = process.definition.action(name)
    if declared is None or declared.perform_many is None:
        raise TypeError(f"{process.name} has no action {name!r} to perform in batches.")
    keys = sorted(data)
    size = size or BATCH_SIZE
    now = timezone.now()
    results: dict[Any, Any] = {}
    with reads.shared():
        try:
            with transaction.atomic(durable=True):
                _without_jit()
                if first is not None:
                    first()
                for start in range(0, len(keys), size):
                    chunk = keys[start : start + size]
                    batch = lock_many(model, chunk, now)
                    try:
                        performed = _perform_batch(
                            process, declared, batch, data, actor, channel, now
                        )
                        for item, result in performed:
                            results[item.context.obj.pk] = None if result is UNCHANGED else result
                        if then is not None:
                            _follow(process, performed, then, channel, now)
                    finally:
                        for obj in batch:
                            forget_head(obj)
                            process.unlocked(obj)
        except _BatchRefusal as refused:
            deviation = record_deviation(
                process_for(refused.obj),
                refused.obj,
                refused.decision,
                refused.actor,
                json_ready(refused.values),
                channel,
            )
            raise TransitionRefused(refused.decision, deviation) from None
    return results


def _without_jit() -> None:
    """Turn PostgreSQL's JIT compilation off for the batch's transaction: the lock and the reads
    of a few hundred objects, each with a few dozen correlated subqueries, are estimated above
    its threshold, and compiling them took ten times longer than running them."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def lock_many(model: type[M], keys: Sequence[Any], now: datetime) -> list[M]:
    """Lock the rows of ``keys`` in key order and read them again, in one statement, with what
    the engine's single lock (:func:`workflow.engine.lock`) reads with one of them."""
    manager = model._default_manager
    process = process_for(model)
    queryset = manager.select_for_update(of=("self",)).filter(pk__in=keys).order_by("pk")
    locked = process.locked_read(queryset, now).annotate(**{CHAIN_HEAD: chain_head(model)})
    found: list[M] = list(locked)
    if len(found) != len(set(keys)):
        missing = sorted(set(keys) - {obj.pk for obj in found})
        raise ObjectDoesNotExist(f"{model.__name__} {missing[:5]} do not exist.")
    return found


def _perform_batch(
    process: Process,
    declared: Action,
    batch: list[Any],
    data: Mapping[Any, Mapping[str, Any]],
    actor: Any,
    channel: Channel,
    now: datetime,
) -> list[tuple[_Done, Any]]:
    declared.prepare(batch, now)
    done = [
        _decided(process, declared, obj, actor, dict(data[obj.pk]), channel, now) for obj in batch
    ]
    results = declared.run_many([item.context for item in done])
    for obj in batch:
        process.file_changed(obj)
    performed = list(zip(done, results, strict=True))
    changed = [(item, result) for item, result in performed if result is not UNCHANGED]
    for item, _result in changed:
        consume_waivers(item.decision, now)
    _record_events(process, declared.name, changed, actor, channel, now)
    return performed


def _decided(
    process: Process,
    declared: Action,
    obj: Any,
    actor: Any,
    values: dict[str, Any],
    channel: Channel,
    now: datetime,
) -> _Done:
    """Decide the action on one locked object, as the single action does (every check)."""
    decision = decide_action(obj, declared.name, actor=actor, payload=values, now=now)
    try:
        settle(obj, decision)
    except _Refusal as refusal:
        raise _BatchRefusal(refusal, actor, values) from None
    context = CheckContext(
        obj=obj,
        actor=actor,
        payload=values,
        policy=process.policy_for(obj),
        now=now,
        channel=channel,
    )
    return _Done(context, decision, values)


def _record_events(
    process: Process,
    name: str,
    changed: list[tuple[_Done, Any]],
    actor: Any,
    channel: Channel,
    now: datetime,
) -> None:
    """One audit event per changed object, each chained to its object's previous event, written
    with their seals in one statement (as :func:`workflow.engine.record_event` writes one)."""
    if not changed:
        return
    objs = [item.context.obj for item, _result in changed]
    snapshots = process.snapshots(objs)
    events: list[AuditEvent] = []
    heads: dict[tuple[int, int], seals.Head] = {}
    for (item, result), snapshot in zip(changed, snapshots, strict=True):
        obj = item.context.obj
        event = _event(process, obj, name, item, result, snapshot, actor, channel, now)
        events.append(event)
        heads[(event.content_type_id, event.object_id)] = seals.Head(event.seq, event.hash)
    keys = writes.together(
        seals.sealing(Chain.EVENTS, heads, now), writes.insert(events, returning=True)
    )
    for event, (key,), obj in zip(events, keys, objs, strict=True):
        writes.saved(event, key)
        if CHAIN_HEAD in obj.__dict__:
            obj.__dict__[CHAIN_HEAD] = {
                "seq": event.seq,
                "hash": event.hash,
                "snapshot": event.snapshot,
            }
    for obj in objs:  # what was read for the snapshots does not know of the events
        process.file_changed(obj)
    followups.after_steps((obj, name) for obj in objs)


def _event(
    process: Process,
    obj: Any,
    name: str,
    item: _Done,
    result: Any,
    snapshot: dict[str, Any],
    actor: Any,
    channel: Channel,
    now: datetime,
) -> AuditEvent:
    state = process.state_of(obj)
    role = item.decision.role or ""
    if not role and actor is not None:
        held = sorted(process.roles_of(actor))
        role = held[0] if held else ""
    last = last_event(obj)
    event = AuditEvent(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["hash"] if last else seals.GENESIS_HASH,
        snapshot=snapshot,
        changes=diff(last["snapshot"], snapshot) if last else {},
        created_at=now,
        kind=AuditEvent.Kind.RECORDED,
        action=name,
        source_state=state,
        target_state=state,
        actor=actor,
        actor_role=role,
        payload=json_ready(audit_payload(item.values, result, item.context.audit)),
        channel=channel,
        policy_version=item.context.policy.version,
        scope=process.scope_of(obj),
    )
    event.hash = event_hash(event)
    return event


def _follow(
    process: Process,
    performed: list[tuple[_Done, Any]],
    then: FollowUps,
    channel: Channel,
    now: datetime,
) -> None:
    """The actions that follow the batch's, on its objects as locked: ``then`` is given each
    object's context of the batch (its data, policy and moment) and its result (``UNCHANGED``
    when the batch found nothing to change on it). The follow-ups of one action and actor are
    performed as a batch of their own when the action has a batch service, else one by one."""
    groups: dict[tuple[str, Any], list[tuple[Any, dict[str, Any]]]] = {}
    actors: dict[tuple[str, Any], Any] = {}
    for item, result in performed:
        obj = item.context.obj
        for step in then(item.context, result):
            if step.obj.pk != obj.pk:
                raise ValueError("A follow-up acts on the object it follows.")
            key = (step.name, getattr(step.actor, "pk", None))
            actors[key] = step.actor
            groups.setdefault(key, []).append((obj, dict(step.data)))
    for key, steps in groups.items():
        name, actor = key[0], actors[key]
        declared = process.definition.action(name)
        objs = [obj for obj, _values in steps]
        if (
            declared is not None
            and declared.perform_many
            and len({o.pk for o in objs}) == len(objs)
        ):
            data = {obj.pk: values for obj, values in steps}
            _perform_batch(process, declared, objs, data, actor, channel, now)
            continue
        for obj, values in steps:
            try:
                perform_locked(obj, name, actor, values, channel, "", now)
            except _Refusal as refusal:
                raise _BatchRefusal(refusal, actor, values) from None


def update_rows(
    objs: Sequence[models.Model], fields: Sequence[str], *, using: str = "default"
) -> None:
    """Save ``fields`` of ``objs`` (rows of one model) with one statement: on PostgreSQL an
    ``UPDATE … FROM (VALUES …)``; elsewhere Django's ``bulk_update``."""
    if not objs or not fields:
        return
    model = type(objs[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    key = next(field for field in meta.concrete_fields if field.primary_key)
    columns = [key, *(concrete[name] for name in fields)]
    quote = connection.ops.quote_name
    casts = [f"CAST(%s AS {column.db_type(connection)})" for column in columns]
    row = f"({', '.join(casts)})"
    params: list[Any] = []
    for obj in objs:
        for column in columns:
            params.append(column.get_db_prep_save(getattr(obj, column.attname), connection))
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(
        f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:]
    )
    table = quote(meta.db_table)
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 - names are the model's
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({names}) "
        f"WHERE {table}.{quote(key.column)} = v.{quote(key.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class _BatchRefusal(Exception):  # noqa: N818 - internal: which object of a batch was refused
    def __init__(self, refusal: _Refusal, actor: Any, values: dict[str, Any]) -> None:
        self.obj = refusal.obj
        self.decision = refusal.decision
        self.actor = actor
        self.values = values
