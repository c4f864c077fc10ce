"""Declaring a process: transitions and actions with their roles and checks, and validating it.

Transitions are django-fsm-2 transitions declared with :func:`transition`, which keeps the engine's
metadata (:class:`Step`) in django-fsm's ``custom`` slot and adds a condition that lets the
transition run only inside :func:`workflow.engine.perform_transition`.

Actions (:func:`action`) are every other write to an object's file: a record added, an application
edited, a record corrected, a second person's confirmation. They are declared beside the
transitions with the states in which they are allowed, and performed only by
:func:`workflow.actions.perform_action`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import django_fsm
from django.db import models
from django.utils.module_loading import import_string

from workflow.checks import Check, CheckContext, Message

# (model class, primary key, transition name) of the transition the engine is running now.
_running: ContextVar[tuple[type[models.Model], Any, str] | None] = ContextVar(
    "workflow_running_transition", default=None
)


def performed_by_engine(instance: models.Model) -> bool:
    """A django-fsm condition: true only while the engine runs a transition of this object."""
    running = _running.get()
    return running is not None and running[:2] == (type(instance), instance.pk)


Effect = Callable[[CheckContext], None]


def keeps_facts(effect: Effect) -> Effect:
    """Mark an effect that writes none of the records the object's facts are read from (a
    payment, a schedule): the facts read with the row lock stay good for the step's audit
    snapshot, which then needs no second read."""
    effect.keeps_facts = True  # type: ignore[attr-defined]
    return effect


def changes_facts(effects: Iterable[Effect]) -> bool:
    """Whether any of ``effects`` may change what the object's facts are read from."""
    return any(not getattr(effect, "keeps_facts", False) for effect in effects)


F = TypeVar("F", bound=Callable[..., Any])


def reads_facts(*names: str) -> Callable[[F], F]:
    """Mark an effect or an action's service with the facts of the object's file it reads, by
    the names its process gives them (as :func:`workflow.checks.check`'s ``reads``): the engine
    has them read with the row lock."""

    def mark(function: F) -> F:
        function.reads = frozenset(names)  # type: ignore[attr-defined]
        return function

    return mark


def _reads(checks: Iterable[Check], functions: Iterable[Any]) -> frozenset[str]:
    found: set[str] = set()
    for declared in checks:
        found |= declared.reads
    for function in functions:
        found |= getattr(function, "reads", frozenset())
    return frozenset(found)


@dataclass(frozen=True)
class Step:
    """What the engine needs to know about one transition from one source state."""

    label: Message
    roles: frozenset[str]
    checks: tuple[Check, ...] = ()
    # Writes that belong to the transition (e.g. the approval decision), run in its transaction.
    effects: tuple[Callable[[CheckContext], None], ...] = ()


def transition(
    *,
    source: str | Sequence[str],
    target: str,
    label: Message,
    roles: Iterable[str],
    checks: Iterable[Check] = (),
    effects: Iterable[Callable[[CheckContext], None]] = (),
    field: str = "state",
) -> Callable[[Any], Any]:
    """Declare a guarded transition. Stack several to give different sources different rules."""
    step = Step(label=label, roles=frozenset(roles), checks=tuple(checks), effects=tuple(effects))
    return django_fsm.transition(
        field=field,
        source=list(source) if not isinstance(source, str) else source,
        target=target,
        conditions=[performed_by_engine],
        custom={"step": step},
    )


Perform = Callable[[CheckContext], Any]
# The service of an action performed on a set of objects at once (workflow/batch.py): given the
# contexts of every object, in key order, it makes their writes together and returns each one's
# result in the same order.
PerformMany = Callable[[Sequence[CheckContext]], Sequence[Any]]
# What a batch reads for the whole set before the checks (records the checks and the service of
# each object would otherwise read one object at a time), given the locked objects and the moment.
Prepare = Callable[[Sequence[Any], Any], None]


@dataclass(frozen=True)
class Action:
    """A write to an object's file that does not change its state.

    ``perform`` is the domain's service that makes the write, given the locked object and the
    person's input; it may be a dotted path (the domain's services usually import the models that
    import the process declaration). It returns the record written, or ``None``.

    ``perform_many`` (optional) makes the same writes for a set of objects at once, and
    ``prepare_many`` reads for the set what the checks and the service need: with them the action
    can be performed by :func:`workflow.batch.perform_in_batches`.
    """

    name: str
    label: Message
    states: frozenset[str]
    roles: frozenset[str]
    checks: tuple[Check, ...]
    perform: str | Perform
    perform_many: str | PerformMany | None = None
    prepare_many: str | Prepare | None = None

    def run(self, context: CheckContext) -> Any:
        function = import_string(self.perform) if isinstance(self.perform, str) else self.perform
        return function(context)

    def run_many(self, contexts: Sequence[CheckContext]) -> list[Any]:
        """The batch service's results for ``contexts``, one per context, in their order."""
        if self.perform_many is None:
            raise TypeError(f"The action {self.name!r} cannot be performed in batches.")
        function = _resolved(self.perform_many)
        results = list(function(contexts))
        if len(results) != len(contexts):
            raise ValueError(f"The batch service of {self.name!r} returned a result per object.")
        return results

    def prepare(self, objs: Sequence[Any], now: Any) -> None:
        """Read for ``objs`` what their checks and the batch service need (nothing by default)."""
        if self.prepare_many is not None:
            _resolved(self.prepare_many)(objs, now)


def _resolved(function: Any) -> Any:
    return import_string(function) if isinstance(function, str) else function


def action(
    name: str,
    *,
    label: Message,
    states: Iterable[str],
    roles: Iterable[str],
    perform: str | Perform,
    checks: Iterable[Check] = (),
    perform_many: str | PerformMany | None = None,
    prepare_many: str | Prepare | None = None,
) -> Action:
    """Declare a guarded action allowed in ``states`` to ``roles``, running ``checks`` first
    (``perform_many`` and ``prepare_many``: to perform it on a set of objects at once)."""
    return Action(
        name=name,
        label=label,
        states=frozenset(states),
        roles=frozenset(roles),
        checks=tuple(checks),
        perform=perform,
        perform_many=perform_many,
        prepare_many=prepare_many,
    )


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    source: str
    target: str
    step: Step | None  # None: declared without workflow.definition.transition

    @property
    def label(self) -> Message:
        return self.step.label if self.step else self.name


@dataclass(frozen=True)
class ProcessDefinition:
    name: str
    states: tuple[str, ...]
    initial: str
    terminal: frozenset[str]
    transitions: tuple[TransitionSpec, ...]
    state_labels: Mapping[str, Message] = dataclasses.field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    # Events the domain records itself (neither a transition nor an action), by name.
    event_labels: Mapping[str, Message] = dataclasses.field(default_factory=dict)

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    def reads(self, name: str) -> frozenset[str]:
        """The facts of the object's file that the checks, effects and service of the step
        ``name`` read (of the transition from any of its sources, or of the action)."""
        found = self.action(name)
        if found is not None:
            return _reads(found.checks, [_resolved(found.perform)])
        steps = [spec.step for spec in self.transitions if spec.name == name and spec.step]
        return _reads(
            (declared for step in steps for declared in step.checks),
            (effect for step in steps for effect in step.effects),
        )

    def actions_in(self, state: str) -> list[Action]:
        return [a for a in self.actions if state in a.states]

    def label_of(self, state: str) -> Message:
        return self.state_labels.get(state, state)

    def transition_label(self, name: str) -> Message:
        spec = next((t for t in self.transitions if t.name == name), None)
        if spec is not None:
            return spec.label
        found = self.action(name)
        return found.label if found else self.event_labels.get(name, name)

    def check_title(self, code: str) -> Message:
        """The title of the check ``code`` declared anywhere in the process (what a person
        reads in place of the code)."""
        for spec in self.transitions:
            for declared in spec.step.checks if spec.step else ():
                if declared.code == code:
                    return declared.title
        for found in self.actions:
            for declared in found.checks:
                if declared.code == code:
                    return declared.title
        return code

    def from_state(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if t.source == state]

    def get(self, name: str, source: str) -> TransitionSpec | None:
        for spec in self.transitions:
            if spec.name == name and spec.source == source:
                return spec
        return None

    def names(self) -> set[str]:
        return {t.name for t in self.transitions}

    def problems(self) -> list[str]:
        """Everything wrong with the graph, in words; an empty list for a sound definition."""
        found: list[str] = []
        states = set(self.states)
        if self.initial not in states:
            found.append(f"the initial state {self.initial!r} is not a state")
        for spec in self.transitions:
            if spec.step is None:
                found.append(f"{spec.name!r} is not declared with workflow.definition.transition")
            elif not spec.step.roles:
                found.append(f"{spec.name!r} from {spec.source!r} allows no role")
            for end in (spec.source, spec.target):
                if end not in states:
                    found.append(f"{spec.name!r} uses the unknown state {end!r}")
        found.extend(self._action_problems(states))
        reachable = self._reachable()
        for state in self.states:
            exits = self.from_state(state)
            if state not in reachable:
                found.append(f"the state {state!r} cannot be reached from {self.initial!r}")
            if state in self.terminal and exits:
                found.append(f"the terminal state {state!r} has exits: {exits[0].name!r}")
            if state not in self.terminal and not exits:
                found.append(f"the state {state!r} is a dead end but not declared terminal")
        return found

    def _action_problems(self, states: set[str]) -> list[str]:
        found: list[str] = []
        seen: set[str] = set()
        for declared in self.actions:
            if declared.name in seen or declared.name in self.names():
                found.append(f"the action {declared.name!r} is declared twice")
            seen.add(declared.name)
            if not declared.roles:
                found.append(f"the action {declared.name!r} allows no role")
            if not declared.states:
                found.append(f"the action {declared.name!r} is allowed in no state")
            found.extend(
                f"the action {declared.name!r} uses the unknown state {state!r}"
                for state in sorted(declared.states - states)
            )
        return found

    def _reachable(self) -> set[str]:
        seen = {self.initial}
        frontier = [self.initial]
        while frontier:
            state = frontier.pop()
            for spec in self.from_state(state):
                if spec.target not in seen:
                    seen.add(spec.target)
                    frontier.append(spec.target)
        return seen


def definition_from_model(
    model: type[models.Model],
    *,
    name: str,
    initial: str,
    terminal: Iterable[str],
    field: str = "state",
    actions: Iterable[Action] = (),
    event_labels: Mapping[str, Message] | None = None,
) -> ProcessDefinition:
    """Read the transitions django-fsm collected for ``model`` into a :class:`ProcessDefinition`."""
    state_field: Any = model._meta.get_field(field)  # an FSMField
    labels: dict[str, Message] = {str(value): label for value, label in state_field.choices or ()}
    states = tuple(labels)
    specs = [
        TransitionSpec(
            name=t.name, source=str(t.source), target=str(t.target), step=t.custom.get("step")
        )
        for t in state_field.get_all_transitions(model)
    ]
    order = {state: index for index, state in enumerate(states)}
    specs.sort(key=lambda s: (order.get(s.source, len(order)), s.name))
    return ProcessDefinition(
        name=name,
        states=states,
        initial=initial,
        terminal=frozenset(terminal),
        transitions=tuple(specs),
        state_labels=labels,
        actions=tuple(actions),
        event_labels=dict(event_labels or {}),
    )
