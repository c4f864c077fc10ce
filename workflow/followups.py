"""Follow-ups: work another part of the system owes after a step, carried by the outbox.

An app that must act on what a process did (e.g. evaluate rules on the object after some of its
steps) registers a task for the model and the step names; the engine writes one outbox message
per matching step in the step's own transaction, so the message exists exactly when the step
does, and the relay runs the task after the commit (``task(object_id, step)``). Steps with no
follow-up cost nothing. The sweep finding a timer late counts as the step ``OVERDUE``, its
escalation as ``ESCALATED``.

The task must be idempotent: the outbox delivers at least once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from workflow import outbox

ESCALATED = "timer_escalated"
OVERDUE = "timer_overdue"

_registered: dict[type[models.Model], list[tuple[frozenset[str], str]]] = {}


def register(model: type[models.Model], steps: Iterable[str], task: str) -> None:
    """Queue ``task`` (a Celery task name) after each step of ``model`` named in ``steps``."""
    entry = (frozenset(steps), task)
    if entry not in _registered.setdefault(model, []):
        _registered[model].append(entry)


def tasks_after(model: type[models.Model], step: str) -> list[str]:
    return [task for steps, task in _registered.get(model, ()) if step in steps]


def after_step(obj: models.Model, step: str) -> None:
    """Queue the follow-ups of ``step`` on ``obj`` (call inside the step's transaction)."""
    for task in tasks_after(type(obj), step):
        outbox.enqueue(task, obj.pk, step)


def after_steps(done: Iterable[tuple[models.Model, str]]) -> None:
    """Queue the follow-ups of several steps, one statement per task."""
    by_task: dict[str, list[list[object]]] = {}
    for obj, step in done:
        for task in tasks_after(type(obj), step):
            by_task.setdefault(task, []).append([obj.pk, step])
    for task, arg_lists in by_task.items():
        outbox.enqueue_all(task, arg_lists)
