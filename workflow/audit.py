"""The audit trail: appending hash-chained events and verifying a chain.

Each object has its own chain: event ``n`` stores the SHA-256 of event ``n - 1`` (``prev_hash``) and
its own hash over its content and ``prev_hash``. Altering, removing or reordering any event breaks
every hash after it, which :func:`verify_chain` reports. Deviations are chained the same way per
object, and each deviation's reviews per deviation (their first link is the deviation's hash).
Every append moves its chain's sealed head (:mod:`workflow.seals`), so a chain re-hashed or cut
short after the fact no longer matches its seal; ``manage.py verify_audit`` checks both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import JSONField, OuterRef, Subquery
from django.db.models.functions import JSONObject

from workflow import seals, writes
from workflow.models import AuditEvent, Chain, Deviation, DeviationReview
from workflow.seals import GENESIS_HASH

__all__ = ["GENESIS_HASH", "append_event", "event_hash", "verify_chain"]
# The attribute the engine's locked read puts the chain's last event on (see chain_head).
CHAIN_HEAD = "audit_chain_head"


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def event_hash(event: AuditEvent) -> str:
    content = {
        "content_type": event.content_type_id,
        "object_id": event.object_id,
        "seq": event.seq,
        "kind": event.kind,
        "action": event.action,
        "source_state": event.source_state,
        "target_state": event.target_state,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "payload": event.payload,
        "snapshot": event.snapshot,
        "changes": event.changes,
        "channel": event.channel,
        "policy_version": event.policy_version,
        "scope": event.scope,
        "created_at": _moment(event.created_at),
        "prev_hash": event.prev_hash,
    }
    return _digest(content)


def deviation_hash(deviation: Deviation) -> str:
    content = {
        "content_type": deviation.content_type_id,
        "object_id": deviation.object_id,
        "seq": deviation.seq,
        "scope": deviation.scope,
        "actor": deviation.actor_id,
        "actor_roles": deviation.actor_roles,
        "transition": deviation.transition,
        "from_state": deviation.from_state,
        "kind": deviation.kind,
        "severity": deviation.severity,
        "failed_checks": deviation.failed_checks,
        "payload": deviation.payload,
        "channel": deviation.channel,
        "policy_version": deviation.policy_version,
        "created_at": _moment(deviation.created_at),
        "prev_hash": deviation.prev_hash,
    }
    return _digest(content)


def review_hash(review: DeviationReview) -> str:
    content = {
        "deviation": review.deviation_id,
        "seq": review.seq,
        "status": review.status,
        "note": review.note,
        "actor": review.actor_id,
        "created_at": _moment(review.created_at),
        "prev_hash": review.prev_hash,
    }
    return _digest(content)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(content: Mapping[str, Any]) -> str:
    # Through JSON and back: what is hashed is what the database will return (tuples as lists,
    # lazy translations as text), so a row read back hashes the same.
    plain = json.loads(canonical_json(content))
    return hashlib.sha256(canonical_json(plain).encode()).hexdigest()


class _PayloadEncoder(DjangoJSONEncoder):
    """What a person submitted, as JSON: records by their id, files by their name."""

    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, File):
            return o.name
        return super().default(o)


def json_ready(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` as plain JSON values, as it is kept on audit events and deviations."""
    if not isinstance(payload, Mapping):
        raise TypeError("A payload must be a mapping.")
    result: dict[str, Any] = json.loads(json.dumps(dict(payload), cls=_PayloadEncoder))
    return result


def events_of(obj: models.Model) -> models.QuerySet[AuditEvent]:
    content_type = ContentType.objects.get_for_model(obj)
    return AuditEvent.objects.filter(content_type=content_type, object_id=obj.pk).order_by("seq")


def chain_head(model: type[models.Model]) -> Subquery:
    """The last event of the outer object's chain (its seq, hash and snapshot) as one JSON value,
    for the engine to read with the object's row lock: ``annotate(**{CHAIN_HEAD: ...})``."""
    last = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk")
        )
        .order_by("-seq")
        .values(head=JSONObject(seq="seq", hash="hash", snapshot="snapshot"))[:1]
    )
    return Subquery(last, output_field=JSONField())


def last_event(obj: models.Model) -> dict[str, Any] | None:
    """The chain's last event: read with the row lock when the engine locked ``obj``, else now."""
    if CHAIN_HEAD in obj.__dict__:
        head: dict[str, Any] | None = obj.__dict__[CHAIN_HEAD]
        if head is not None and isinstance(head["snapshot"], str):  # SQLite nests JSON as text
            head = {**head, "snapshot": json.loads(head["snapshot"])}
        return head
    last = events_of(obj).values("seq", "hash", "snapshot").last()
    return dict(last) if last else None


def append_event(
    obj: models.Model,
    *,
    fields: Mapping[str, Any],
    snapshot: dict[str, Any],
    created_at: datetime,
) -> AuditEvent:
    """Append an event to ``obj``'s chain, with what changed since the previous event.

    The caller holds the row lock on ``obj``. When ``obj`` carries the head read with its lock,
    the new event becomes that head, so a second event in the same step chains to it.
    """
    appending = Appending(obj, fields=fields, snapshot=snapshot, created_at=created_at)
    return appending.done(writes.at_once(*appending.statements))


class Appending:
    """An event appended to ``obj``'s chain (as :func:`append_event`), as the statements that
    write it and move its chain's seal, to send with the step's other writes
    (:func:`workflow.writes.at_once`); :meth:`done` with what they returned gives the event,
    saved. Until then the object's chain head stays the previous event."""

    def __init__(
        self,
        obj: models.Model,
        *,
        fields: Mapping[str, Any],
        snapshot: dict[str, Any],
        created_at: datetime,
    ) -> None:
        last = last_event(obj)
        event = AuditEvent(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            seq=(last["seq"] + 1) if last else 1,
            prev_hash=last["hash"] if last else GENESIS_HASH,
            snapshot=snapshot,
            changes=diff(last["snapshot"], snapshot) if last else {},
            created_at=created_at,
            **fields,
        )
        event.hash = event_hash(event)
        head = {(event.content_type_id, event.object_id): seals.Head(event.seq, event.hash)}
        self.obj = obj
        self.event = event
        self.statements = [
            seals.sealing(Chain.EVENTS, head, created_at),
            writes.insert([event], returning=True),
        ]

    def done(self, returned: list[list[tuple[Any, ...]]]) -> AuditEvent:
        event = self.event
        [(key,)] = returned[-1]
        writes.saved(event, key)
        if CHAIN_HEAD in self.obj.__dict__:
            self.obj.__dict__[CHAIN_HEAD] = {
                "seq": event.seq,
                "hash": event.hash,
                "snapshot": event.snapshot,
            }
        return event


def forget_head(obj: models.Model) -> None:
    """Drop the chain head the engine read with the lock: it is only good while the lock is held."""
    obj.__dict__.pop(CHAIN_HEAD, None)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    broken_at: int | None = None  # the seq of the first event that does not verify
    problem: str = ""


def verify_chain(
    entries: Iterable[Any],
    *,
    hasher: Callable[[Any], str] = event_hash,
    genesis: str = GENESIS_HASH,
) -> ChainReport:
    """Verify one chain's entries, given in ``seq`` order (an object's events by default).

    ``problem`` is one of :class:`workflow.models.VerificationRun.Problem`'s values.
    """
    previous = genesis
    count = 0
    for expected_seq, entry in enumerate(entries, start=1):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(False, count, entry.seq, "seq_gap")
        if entry.prev_hash != previous:
            return ChainReport(False, count, entry.seq, "prev_mismatch")
        if hasher(entry) != entry.hash:
            return ChainReport(False, count, entry.seq, "hash_mismatch")
        previous = entry.hash
    return ChainReport(True, count)
