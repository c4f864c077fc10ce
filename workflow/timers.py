"""Timers: started and stopped with transitions, swept for reminders, lateness and escalation.

The sweep claims due timers with ``SELECT … FOR UPDATE SKIP LOCKED`` through a partial index on
running timers, so two sweeps never act on one timer, a duplicate or missed tick is harmless, and
the cost follows what is due rather than the number of objects. Every action is stamped on the
timer in the transaction that performs it, so it happens once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction
from django.utils import timezone

from workflow import followups, notifications, reads, signals, writes
from workflow.deviations import Decision, chain_and_save, deviation_for
from workflow.models import Channel, Deviation, Notification, Timer
from workflow.prepared import compiled_for
from workflow.registry import Process, process_for

OVERDUE_KIND = {
    Timer.Kind.STAGE: Deviation.Kind.SLA_OVERDUE,
    Timer.Kind.INSPECTION: Deviation.Kind.INSPECTION_OVERDUE,
}


@dataclass(frozen=True)
class TimerPlan:
    kind: Timer.Kind
    stage: str
    due_at: datetime
    remind_at: datetime | None = None
    escalate_at: datetime | None = None


def running(obj: models.Model) -> models.QuerySet[Timer]:
    return Timer.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        stopped_at__isnull=True,
    )


def _new_timer(process: Process, obj: models.Model, plan: TimerPlan, now: datetime) -> Timer:
    timer = Timer(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        scope=process.scope_of(obj),
        kind=plan.kind,
        stage=plan.stage,
        started_at=now,
        remind_at=plan.remind_at,
        due_at=plan.due_at,
        escalate_at=plan.escalate_at,
    )
    timer.refresh_next_action()
    return timer


def start(process: Process, obj: models.Model, plan: TimerPlan, now: datetime) -> Timer:
    timer = _new_timer(process, obj, plan, now)
    timer.save()
    return timer


def _stopping(obj: models.Model, kind: Timer.Kind | None = None) -> models.QuerySet[Timer]:
    timers = running(obj)
    return timers if kind is None else timers.filter(kind=kind)


def stop(obj: models.Model, now: datetime, *, kind: Timer.Kind | None = None) -> int:
    return _stopping(obj, kind).update(stopped_at=now, next_action_at=None)


def _stop_statement(obj: models.Model, now: datetime, kind: Timer.Kind | None) -> writes.Statement:
    """The UPDATE of :func:`stop`; for every kind, compiled once per database and connection."""
    if kind is not None:
        return writes.update(_stopping(obj, kind), stopped_at=now, next_action_at=None)
    using = router.db_for_write(Timer)
    compiled = compiled_for(using)
    if _STOP_ALL not in compiled:
        compiled[_STOP_ALL] = writes.Template(_stop_all_of, *STOP_MARKERS, using=using)
    content_type = ContentType.objects.get_for_model(obj)
    stop_all: writes.Template = compiled[_STOP_ALL]
    return stop_all(content_type.pk, obj.pk, now)


def _stop_all_of(content_type_id: int, object_id: int, now: datetime) -> writes.Statement:
    running = Timer.objects.filter(
        content_type_id=content_type_id, object_id=object_id, stopped_at__isnull=True
    )
    return writes.update(running, stopped_at=now, next_action_at=None)


# Values to tell apart the places of the content type, the object and the moment (in range for
# their columns: Django compiles a lookup out of range as matching nothing).
STOP_MARKERS = (
    2_147_480_011,
    2_147_480_013,
    datetime(1901, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
)
_STOP_ALL = "workflow.timers.stop_all"


def stop_and_start(
    process: Process,
    obj: models.Model,
    plans: list[TimerPlan],
    now: datetime,
    *,
    kind: Timer.Kind | None = None,
) -> list[Timer]:
    """Stop the running timers (of ``kind``, or all) and start those of ``plans``: one statement
    where the database allows (:mod:`workflow.writes`)."""
    change = Change(process, obj, plans, now, kind=kind)
    return change.done(writes.at_once(*change.statements))


class Change:
    """The timers a step stops and starts, as statements to send with the step's other writes
    (:func:`workflow.writes.at_once`); :meth:`done` with what they returned gives the timers
    started, saved."""

    def __init__(
        self,
        process: Process,
        obj: models.Model,
        plans: list[TimerPlan],
        now: datetime,
        *,
        kind: Timer.Kind | None = None,
    ) -> None:
        self.started = [_new_timer(process, obj, plan, now) for plan in plans]
        self.statements: list[writes.Statement] = [_stop_statement(obj, now, kind)]
        if self.started:
            self.statements.append(writes.insert(self.started, returning=True))

    def done(self, returned: list[list[tuple[Any, ...]]]) -> list[Timer]:
        if self.started:
            for timer, (key,) in zip(self.started, returned[-1], strict=True):
                writes.saved(timer, key)
        return self.started


def changing(process: Process, obj: models.Model, source: str, now: datetime) -> Change | None:
    """The timers of the stage left stopped and those of the stage entered started, as
    statements to send with the step's other writes (None: the step stays in its state)."""
    target = process.state_of(obj)
    if target == source:
        return None
    return Change(process, obj, list(process.timer_plans(obj, target, now)), now)


def start_initial(obj: models.Model, *, now: datetime | None = None) -> list[Timer]:
    """Start the timers of a new object's first state (call in the transaction creating it)."""
    process = process_for(obj)
    now = now or timezone.now()
    return [
        start(process, obj, plan, now)
        for plan in process.timer_plans(obj, process.state_of(obj), now)
    ]


def restart(obj: models.Model, kind: Timer.Kind, plan: TimerPlan) -> Timer:
    """Replace the running timer of ``kind`` (e.g. the next inspection after one was made)."""
    [timer] = stop_and_start(process_for(obj), obj, [plan], timezone.now(), kind=kind)
    return timer


# --- the sweep ---------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None, batch: int = 100) -> int:
    """Take every timer action that has fallen due; return how many timers were handled.

    Due timers are claimed ``batch`` at a time and handled as a set: their objects are read in
    one statement per model, and the notifications, e-mail tasks, deviations and timer stamps of
    the whole set are written with one statement each.
    """
    moment = now or timezone.now()
    handled = 0
    while True:
        with reads.shared(), transaction.atomic():
            due = list(
                Timer.objects.select_for_update(skip_locked=True)
                .filter(stopped_at__isnull=True, next_action_at__lte=moment)
                .order_by("next_action_at")[:batch]
            )
            if due:
                _act_on(due, moment)
        handled += len(due)
        if len(due) < batch:
            return handled


def _objects_of(due: list[Timer]) -> dict[tuple[int, int], models.Model]:
    """The objects the timers run on, one read per model."""
    found: dict[tuple[int, int], models.Model] = {}
    by_type: dict[int, set[int]] = {}
    for timer in due:
        by_type.setdefault(timer.content_type_id, set()).add(timer.object_id)
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        queryset = model._default_manager.filter(pk__in=ids)
        with contextlib.suppress(LookupError):
            queryset = process_for(model).sweep_read(queryset)
        found.update({(type_id, obj.pk): obj for obj in queryset})
    return found


def _act_on(due: list[Timer], now: datetime) -> None:
    objects = _objects_of(due)
    wanted: list[tuple[Timer, models.Model, str, list[Any]]] = []
    lateness: list[tuple[Deviation, Decision]] = []
    followed: list[tuple[models.Model, str]] = []  # the timers' steps others follow
    for timer in due:
        obj = objects.get((timer.content_type_id, timer.object_id))
        if obj is None:  # the object is gone: nothing is owed any more
            timer.stopped_at = now
            timer.next_action_at = None
            continue
        process = process_for(obj)
        pending = timer.pending_actions()
        if "remind" in pending and pending["remind"] <= now:
            recipients = process.reminder_recipients(obj, timer)
            wanted.append((timer, obj, Notification.Kind.REMINDER, recipients))
            timer.reminded_at = now
        if "overdue" in pending and pending["overdue"] <= now:
            lateness.append(_lateness(process, obj, timer))
            timer.overdue_at = now
            followed.append((obj, followups.OVERDUE))
        if "escalate" in pending and pending["escalate"] <= now:
            recipients = process.escalation_recipients(obj, timer)
            wanted.append((timer, obj, Notification.Kind.ESCALATION, recipients))
            timer.escalated_at = now
            followed.append((obj, followups.ESCALATED))
        timer.refresh_next_action()
    notifications.notify_all(wanted, now)
    followups.after_steps(followed)
    chain_and_save([deviation for deviation, _ in lateness])
    for deviation, decision in lateness:
        signals.send_on_commit(
            signals.deviation_recorded, Deviation, deviation=deviation, decision=decision
        )
    Timer.objects.bulk_update(
        due, ["reminded_at", "overdue_at", "escalated_at", "stopped_at", "next_action_at"]
    )


def _lateness(process: Process, obj: Any, timer: Timer) -> tuple[Deviation, Decision]:
    late = Decision(
        name="",
        source=timer.stage,
        spec=None,
        role=None,
        results=(),
        refusal=OVERDUE_KIND[Timer.Kind(timer.kind)],
    )
    payload = {"timer": timer.pk, "due_at": timer.due_at.isoformat(), "kind": timer.kind}
    deviation = deviation_for(
        process, obj, late, None, payload, Channel.SYSTEM, severity=Deviation.Severity.MEDIUM
    )
    return deviation, late


def restart_many(
    objs: list[models.Model], kind: Timer.Kind, plans: list[TimerPlan], now: datetime
) -> list[Timer]:
    """``restart`` for several objects of one process (``plans[i]`` for ``objs[i]``): their
    running timers of ``kind`` stopped and the new ones started in one statement."""
    if not objs:
        return []
    process = process_for(objs[0])
    new = [_new_timer(process, obj, plan, now) for obj, plan in zip(objs, plans, strict=True)]
    stopping = Timer.objects.filter(
        content_type=ContentType.objects.get_for_model(objs[0]),
        object_id__in=[obj.pk for obj in objs],
        stopped_at__isnull=True,
        kind=kind,
    )
    keys = writes.together(
        writes.update(stopping, stopped_at=now, next_action_at=None),
        writes.insert(new, returning=True),
    )
    for timer, (key,) in zip(new, keys, strict=True):
        writes.saved(timer, key)
    return new
