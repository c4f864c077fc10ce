"""A loan's audit trail as its timeline reads: each event's step, stages, person, and what it
changed in words (a correction's fields before → after, a cancellation's reason)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import translation

from loans.choices import ReturnReason
from loans.models import Loan
from loans.reference import ChangedFact, changed_fact
from loans.states import APPLICATION_FIELDS
from workflow.definition import ProcessDefinition
from workflow.models import AuditEvent, Deviation

# The loan's own facts in its snapshot; the others are counts of records, said by the step.
_LOAN_FACTS = frozenset({*APPLICATION_FIELDS, "outstanding_balance", "risk_class"})


@dataclass(frozen=True)
class TimelineRow:
    event: AuditEvent
    step: Any
    source: Any
    target: Any
    facts: list[ChangedFact]
    note: str  # the reason given with the step, if any


def timeline(events: Iterable[AuditEvent], definition: ProcessDefinition) -> list[TimelineRow]:
    return [
        TimelineRow(
            event=event,
            step=definition.transition_label(event.action),
            source=definition.label_of(event.source_state),
            target=definition.label_of(event.target_state),
            facts=facts_of(event),
            note=_note(event.payload),
        )
        for event in events
    ]


def facts_of(event: AuditEvent) -> list[ChangedFact]:
    payload = event.payload
    corrected = payload.get("corrected")
    if isinstance(corrected, dict):
        model = _model(corrected.get("type", ""))
        changes = corrected.get("changes", {})
        if model is not None and isinstance(changes, dict):
            return _facts(model, changes)
    if isinstance(payload.get("cancelled"), dict):
        return []
    changes = {k: v for k, v in event.changes.items() if k in _LOAN_FACTS}
    return _facts(Loan, changes) if event.source_state == event.target_state else []


def _facts(model: Any, changes: dict[str, Any]) -> list[ChangedFact]:
    found = []
    for name, values in changes.items():
        if isinstance(values, list) and len(values) == 2:
            fact = changed_fact(model, name, *values)
            if fact is not None:
                found.append(fact)
    return found


def _model(label: str) -> Any:
    app_label, _dot, model_name = str(label).partition(".")
    try:
        return apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return None


def _note(payload: dict[str, Any]) -> str:
    """The words given with the step: a return's reason (a choice) and comment, a reason, a
    note."""
    parts = []
    for key in ("reason", "note", "fulfilment_note", "comment"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            label = ReturnReason(value).label if value in ReturnReason.values else value
            parts.append(str(label).strip())
    return " — ".join(parts)


@dataclass(frozen=True)
class RefusedAttempt:
    deviation: Deviation
    step: Any
    reasons: list[str]  # the failed checks' reasons in the active language


def refused_attempts(
    deviations: Iterable[Deviation], definition: ProcessDefinition
) -> list[RefusedAttempt]:
    language = translation.get_language() or "en"
    return [
        RefusedAttempt(
            deviation=deviation,
            step=definition.transition_label(deviation.transition),
            reasons=[
                item["reason"].get(language) or item["reason"].get("en", "")
                for item in deviation.failed_checks
                if isinstance(item.get("reason"), dict)
            ],
        )
        for deviation in deviations
    ]
