"""Verifying the record: every chain link by link, and each chain's head against its seal.

``manage.py verify_audit`` and the daily task (``workflow.tasks.verify_audit``) call
:func:`verify_and_record`: the run is itself recorded (:class:`VerificationRun`), and a break
notifies the people each broken object's process names (compliance and the branch head).
"""

from __future__ import annotations

import hmac
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from workflow import notifications, seals
from workflow.audit import deviation_hash, event_hash, review_hash, verify_chain
from workflow.models import (
    AuditEvent,
    Chain,
    ChainSeal,
    Deviation,
    DeviationReview,
    VerificationRun,
)
from workflow.registry import process_for, registered_processes

logger = logging.getLogger(__name__)
Problem = VerificationRun.Problem
Key = tuple[int, int]  # (content type, object id) of the chain's object


@dataclass(frozen=True)
class Break:
    chain: Chain
    content_type_id: int
    object_id: int
    seq: int | None
    problem: Problem


@dataclass
class Outcome:
    chains: int = 0
    entries: int = 0
    breaks: int = 0
    first: Break | None = None

    def add(self, found: Break | None) -> None:
        if found is not None:
            self.breaks += 1
            self.first = self.first or found


@dataclass(frozen=True)
class Scope:
    """What to verify: some objects' chains (None: every object), or chains written since."""

    objects: tuple[models.Model, ...] | None = None
    since: datetime | None = None

    def by_object(self, ct_field: str, id_field: str) -> Q:
        if self.objects is None:
            return Q()
        condition = Q(pk__in=[])
        for obj in self.objects:
            content_type = ContentType.objects.get_for_model(obj)
            condition |= Q(**{ct_field: content_type.pk, id_field: obj.pk})
        return condition


@dataclass(frozen=True)
class _Kind:
    chain: Chain
    entries: Callable[[Scope], models.QuerySet[Any]]
    key: Callable[[Any], Key]
    hasher: Callable[[Any], str]


def _events(scope: Scope) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(scope.by_object("content_type", "object_id")).order_by(
        "content_type_id", "object_id", "seq"
    )


def _deviations(scope: Scope) -> models.QuerySet[Deviation]:
    return Deviation.objects.filter(scope.by_object("content_type", "object_id")).order_by(
        "content_type_id", "object_id", "seq"
    )


def _reviews(scope: Scope) -> models.QuerySet[DeviationReview]:
    condition = scope.by_object("deviation__content_type", "deviation__object_id")
    return DeviationReview.objects.filter(condition).order_by("deviation_id", "seq")


def _kinds() -> list[_Kind]:
    deviation_type = ContentType.objects.get_for_model(Deviation).pk
    return [
        _Kind(Chain.EVENTS, _events, lambda e: (e.content_type_id, e.object_id), event_hash),
        _Kind(
            Chain.DEVIATIONS,
            _deviations,
            lambda d: (d.content_type_id, d.object_id),
            deviation_hash,
        ),
        _Kind(Chain.REVIEWS, _reviews, lambda r: (deviation_type, r.deviation_id), review_hash),
    ]


def verify(scope: Scope) -> Outcome:
    """Verify every chain in ``scope``; count the breaks and keep the first."""
    outcome = Outcome()
    for kind in _kinds():
        _verify_kind(kind, scope, outcome)
    if scope.since is None:
        _verify_presence(scope, outcome)
    return outcome


def _verify_presence(scope: Scope, outcome: Outcome) -> None:
    """Every workflow object has an audit trail from its creation on: one with neither events
    nor a seal lost its whole trail (a chain deleted together with its seal)."""
    for process in registered_processes():
        content_type = ContentType.objects.get_for_model(process.model)
        trail = {"content_type": content_type, "object_id": OuterRef("pk")}
        missing = process.model._default_manager.filter(
            ~Exists(ChainSeal.objects.filter(chain=Chain.EVENTS, **trail)),
            ~Exists(AuditEvent.objects.filter(**trail)),
        )
        if scope.objects is not None:
            missing = missing.filter(
                pk__in=[obj.pk for obj in scope.objects if isinstance(obj, process.model)]
            )
        for pk in missing.order_by("pk").values_list("pk", flat=True).iterator():
            outcome.add(Break(Chain.EVENTS, content_type.pk, pk, None, Problem.TRAIL_MISSING))


def _verify_kind(kind: _Kind, scope: Scope, outcome: Outcome) -> None:
    entries = kind.entries(scope)
    sealed = ChainSeal.objects.filter(chain=kind.chain).exclude(last_seq=0)
    if kind.chain != Chain.REVIEWS:
        sealed = sealed.filter(scope.by_object("content_type", "object_id"))
    elif scope.objects is not None:
        deviations = Deviation.objects.filter(scope.by_object("content_type", "object_id"))
        sealed = sealed.filter(object_id__in=deviations.values("pk"))
    wanted = _written_since(kind, entries, sealed, scope.since)
    heads = {(s.content_type_id, s.object_id): s for s in sealed}
    geneses = _review_geneses(entries) if kind.chain == Chain.REVIEWS else {}
    for key, group in _chains(entries.iterator(chunk_size=2000), kind.key):
        if wanted is not None and key not in wanted:
            continue
        rows = list(group)
        outcome.chains += 1
        outcome.entries += len(rows)
        outcome.add(_check(kind, key, rows, heads.pop(key, None), geneses))
    for key in heads:  # sealed chains with no entry left
        if wanted is None or key in wanted:
            outcome.chains += 1
            outcome.add(Break(kind.chain, key[0], key[1], 1, Problem.TRUNCATED))


def _written_since(
    kind: _Kind, entries: models.QuerySet[Any], sealed: models.QuerySet[ChainSeal], since: Any
) -> set[Key] | None:
    """The chains with an entry or a seal since ``since`` (None: every chain)."""
    if since is None:
        return None
    recent = {kind.key(entry) for entry in entries.filter(created_at__gte=since).iterator()}
    recent |= set(sealed.filter(sealed_at__gte=since).values_list("content_type_id", "object_id"))
    return recent


def _review_geneses(reviews: models.QuerySet[DeviationReview]) -> dict[int, str]:
    return dict(
        Deviation.objects.filter(pk__in=reviews.values("deviation_id")).values_list("pk", "hash")
    )


def _chains(entries: Iterator[Any], key: Callable[[Any], Key]) -> Iterable[tuple[Key, Any]]:
    return itertools.groupby(entries, key=key)


def _check(
    kind: _Kind, key: Key, rows: list[Any], head: ChainSeal | None, geneses: dict[int, str]
) -> Break | None:
    def broken(seq: int | None, problem: Problem) -> Break:
        return Break(kind.chain, key[0], key[1], seq, problem)

    genesis = seals.GENESIS_HASH
    if kind.chain == Chain.REVIEWS:
        if key[1] not in geneses:
            return broken(rows[0].seq, Problem.ORPHANED)
        genesis = geneses[key[1]]
    report = verify_chain(rows, hasher=kind.hasher, genesis=genesis)
    if not report.intact:
        return broken(report.broken_at, Problem(report.problem))
    last = rows[-1]
    if head is None:
        return broken(None, Problem.SEAL_MISSING)
    if not authentic(head):
        return broken(head.last_seq, Problem.SEAL_FORGED)
    if head.last_seq > last.seq:
        return broken(last.seq + 1, Problem.TRUNCATED)
    if head.last_seq < last.seq:
        return broken(head.last_seq + 1, Problem.UNSEALED)
    if head.last_hash != last.hash:
        return broken(last.seq, Problem.HEAD_MISMATCH)
    return None


def authentic(head: ChainSeal) -> bool:
    key = seals.keys().get(head.key_id)
    if key is None:
        return False
    label = seals.object_label(head.content_type_id)
    expected = seals.mac(key, head.chain, label, head.object_id, head.last_seq, head.last_hash)
    return hmac.compare_digest(expected, head.mac)


# --- recording a run -------------------------------------------------------------------------


def verify_and_record(
    *,
    trigger: VerificationRun.Trigger,
    objects: tuple[models.Model, ...] | None = None,
    scope_label: str = "",
    since: datetime | None = None,
) -> VerificationRun:
    """Verify, record the run, and notify on a break (in one transaction, after the reading)."""
    started_at = timezone.now()
    outcome = verify(Scope(objects=objects, since=since))
    first = outcome.first
    with transaction.atomic():
        run = VerificationRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            trigger=trigger,
            scope_loan=scope_label,
            scope_since=timezone.localdate(since) if since else None,
            chains=outcome.chains,
            entries=outcome.entries,
            breaks=outcome.breaks,
            break_chain=first.chain if first else "",
            break_object=_label(first) if first else "",
            break_seq=first.seq if first else None,
            break_problem=first.problem if first else "",
        )
        if first is not None:
            notifications.notify_audit_broken(run, _recipients(first))
    # For the central log store: the counts of a whole-record run never go down.
    log = logger.info if run.intact else logger.error
    log(
        "audit verification %s: scope=%s since=%s chains=%s entries=%s breaks=%s first=%r",
        run.pk,
        run.scope_loan or "all",
        run.scope_since or "-",
        run.chains,
        run.entries,
        run.breaks,
        run.describe_break(),
    )
    return run


def _broken_object(found: Break) -> models.Model | None:
    model = ContentType.objects.get_for_id(found.content_type_id).model_class()
    obj = model._default_manager.filter(pk=found.object_id).first() if model else None
    if isinstance(obj, Deviation):  # a review chain: the deviation's own object
        return _broken_object(
            Break(found.chain, obj.content_type_id, obj.object_id, None, found.problem)
        )
    return obj


def _label(found: Break) -> str:
    if found.chain == Chain.REVIEWS:
        return f"#{found.object_id}"
    obj = _broken_object(found)
    return str(obj)[:128] if obj is not None else f"#{found.object_id}"


def _recipients(found: Break) -> list[Any]:
    """Those the broken object's process names; without one, those every process names."""
    obj = _broken_object(found)
    if obj is not None:
        try:
            return process_for(obj).integrity_recipients(obj)
        except LookupError:
            pass
    return [
        user for process in registered_processes() for user in process.integrity_recipients(None)
    ]


def latest_complete_run() -> VerificationRun | None:
    """The last verification of every chain, for the compliance screen and the probe."""
    return (
        VerificationRun.objects.filter(scope_loan="", scope_since__isnull=True)
        .order_by("-finished_at", "-id")
        .first()
    )
