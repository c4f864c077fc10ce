"""Processes registered with the engine, one per model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from django.db import models

from workflow.checks import Policy
from workflow.definition import Action, ProcessDefinition, definition_from_model


class Process:
    """How the engine works one model. Subclass it, fill in the class attributes and hooks."""

    name: ClassVar[str]
    initial: ClassVar[str]
    terminal: ClassVar[frozenset[str]]
    state_field: ClassVar[str] = "state"
    # Roles that may grant a policy exception for a failed soft check.
    exception_roles: ClassVar[frozenset[str]] = frozenset()
    # Roles that work the deviation log (acknowledge, escalate, resolve).
    compliance_roles: ClassVar[frozenset[str]] = frozenset()
    # Every write to the object's file other than a transition (workflow.definition.action).
    actions: ClassVar[tuple[Action, ...]] = ()
    # Labels of the events the domain records itself (workflow.engine.record_event).
    event_labels: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    @cached_property
    def definition(self) -> ProcessDefinition:
        return definition_from_model(
            self.model,
            name=self.name,
            initial=self.initial,
            terminal=self.terminal,
            field=self.state_field,
            actions=self.actions,
            event_labels=self.event_labels,
        )

    def state_of(self, obj: models.Model) -> str:
        return str(getattr(obj, self.state_field))

    def locked_read(
        self,
        queryset: models.QuerySet[Any],
        now: datetime,
        reads: frozenset[str] | None = None,
    ) -> models.QuerySet[Any]:
        """The read the engine locks the object with at ``now``, to which a process adds what
        its checks and audit need in the same statement (``select_related`` of its foreign keys,
        annotations). The engine locks only the object's own row (``FOR UPDATE OF``), never the
        rows joined; it compiles the read once per ``reads``, so ``now`` must be used as a
        parameter only. ``reads``: the facts of the file the step's checks, effects and service
        declare they read (``check(reads=...)``, ``reads_facts``); None for a read that serves any
        step."""
        return queryset

    def sweep_read(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """The read of the objects whose timers fell due (add the related rows that the
        recipients, the scope and the messages need)."""
        return queryset

    def unlocked(self, obj: models.Model) -> None:
        """The step is over: drop from ``obj`` what was read with its lock (only good while the
        lock is held), so the object the engine returns answers from the database again."""
        self.file_changed(obj)

    def file_changed(self, obj: models.Model) -> None:
        """The step wrote records of ``obj``'s file (its effects, an action's service): facts
        read with the lock are stale from now on."""

    # Hooks ---------------------------------------------------------------------------------
    def roles_of(self, actor: Any) -> frozenset[str]:
        """The workflow roles ``actor`` holds."""
        raise NotImplementedError

    def acting_role(self, obj: models.Model, held: list[str]) -> str:
        """The role a person acts in when they hold several that the step allows (``held``,
        sorted, never empty): it is the part the audit trail records for them."""
        return held[0]

    def can_access(self, actor: Any, obj: models.Model) -> bool:
        """Whether ``actor`` may see and act on ``obj`` at all (e.g. the same branch)."""
        raise NotImplementedError

    def scope_of(self, obj: models.Model) -> str:
        """A label of the organisational unit ``obj`` belongs to, kept on audit rows."""
        return ""

    def snapshot(self, obj: models.Model) -> dict[str, Any]:
        """The facts of ``obj`` worth comparing between transitions (JSON-ready); each audit
        event keeps one and the changes since the previous event."""
        return {}

    def snapshots(self, objs: list[models.Model]) -> list[dict[str, Any]]:
        """The snapshots of several objects after a batch wrote them (workflow/batch.py), in
        their order: override to read what they need together rather than one by one."""
        return [self.snapshot(obj) for obj in objs]

    def on_entered(self, obj: models.Model, state: str, now: datetime) -> None:
        """Called inside the transition's transaction after ``obj`` moved to another state,
        before it is saved: the place to stamp fields such as "in this stage since"."""

    def timer_plans(self, obj: models.Model, state: str, now: datetime) -> list[Any]:
        """The timers (``workflow.timers.TimerPlan``) to start when ``obj`` enters ``state``."""
        return []

    def reminder_recipients(self, obj: models.Model, timer: Any) -> list[Any]:
        """Who owes the next step: reminded before the timer is due."""
        return []

    def escalation_recipients(self, obj: models.Model, timer: Any) -> list[Any]:
        """Who is told when the timer is late beyond the escalation delay, or (``timer`` None)
        when compliance escalates one of the object's deviations (workflow/compliance.py)."""
        return []

    def integrity_recipients(self, obj: models.Model | None) -> list[Any]:
        """Who is told that ``obj``'s record failed verification (None: a break not tied to one
        object of this process, e.g. its object is gone)."""
        return []

    def policy_for(self, obj: models.Model) -> Policy:
        """The policy in force for ``obj`` now."""
        raise NotImplementedError

    def deviation_url(self, deviation_id: int) -> str | None:
        """The page of one of the process's deviations (None: it has none), linked from a
        notification about the deviation beside the object's own page."""
        return None


_processes: dict[type[models.Model], Process] = {}
# Models that are not worked by a process of their own but whose refusals a process records and
# scopes (e.g. a borrower whose identity number another branch tried to register).
_related: dict[type[models.Model], Process] = {}


def register(process: Process, *, also: tuple[type[models.Model], ...] = ()) -> Process:
    _processes[process.model] = process
    for model in also:
        _related[model] = process
    return process


def process_for(model_or_obj: type[models.Model] | models.Model) -> Process:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    try:
        return _processes.get(model) or _related[model]
    except KeyError:
        raise LookupError(f"No workflow process is registered for {model.__name__}.") from None


def registered_processes() -> list[Process]:
    return list(_processes.values())
