"""What a person reads in place of a process's codes: its steps, checks, states, and the deviation
log's kinds, severities, channels and statuses, all read from the process declaration and the
models' choices (never a second, hand-written map that could drift from them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from workflow.checks import Message
from workflow.definition import ProcessDefinition
from workflow.models import Channel, Deviation, DeviationReview

# What the log shows for a deviation no step was attempted in (a timer found lateness).
NO_STEP = _("no step (found by the system)")


@dataclass(frozen=True)
class Vocabulary:
    """The human names of one process's codes, each a lazy translation (read it in the reader's
    language with ``str()``)."""

    steps: Mapping[str, Message]  # transitions, actions and recorded events, by name
    checks: Mapping[str, Message]  # every check's title, by code
    states: Mapping[str, Message]

    def step(self, name: str) -> str:
        if not name:
            return str(NO_STEP)
        return str(self.steps.get(name, name))

    def check(self, code: str) -> str:
        return str(self.checks.get(code, code))

    def state(self, state: str) -> str:
        return str(self.states.get(state, state)) if state else ""

    @staticmethod
    def kind(code: str) -> str:
        return _label(Deviation.Kind, code)

    @staticmethod
    def severity(code: str) -> str:
        return _label(Deviation.Severity, code)

    @staticmethod
    def status(code: str) -> str:
        return _label(DeviationReview.Status, code)

    @staticmethod
    def channel(code: str) -> str:
        return _label(Channel, code)

    def step_choices(self) -> list[tuple[str, str]]:
        """Every step as (code, name), sorted by the name in the active language."""
        return _sorted(self.steps)

    def check_choices(self) -> list[tuple[str, str]]:
        return _sorted(self.checks)


def _label(choices: type, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _sorted(names: Mapping[str, Message]) -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in names.items()), key=lambda c: c[1])


# Made once per definition (a process's definition is made once, and lives as long as it).
_made: dict[int, tuple[ProcessDefinition, Vocabulary]] = {}


def vocabulary_of(definition: ProcessDefinition) -> Vocabulary:
    made = _made.get(id(definition))
    if made is None or made[0] is not definition:
        made = _made[id(definition)] = (definition, _vocabulary(definition))
    return made[1]


def _vocabulary(definition: ProcessDefinition) -> Vocabulary:
    steps: dict[str, Message] = {}
    checks: dict[str, Message] = {}
    for spec in definition.transitions:
        steps.setdefault(spec.name, spec.label)
        for declared in spec.step.checks if spec.step else ():
            checks.setdefault(declared.code, declared.title)
    for found in definition.actions:
        steps.setdefault(found.name, found.label)
        for declared in found.checks:
            checks.setdefault(declared.code, declared.title)
    for name, label in definition.event_labels.items():
        steps.setdefault(name, label)
    return Vocabulary(steps=steps, checks=checks, states=dict(definition.state_labels))
