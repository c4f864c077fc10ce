"""Reference data in the audit trail: which models are audited reference data, the facts kept of
each (an event's snapshot), and how a recorded change reads on the compliance page.

Staff (roles, authority, branch, active), policy versions and the blocked-borrower list decide who
may do what and what the checks pass; a change to any of them is an audited event
(:func:`loans.services.reference_change_record`, written by the admin and the services).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loans.models import BlockedBorrower, PolicyVersion, User
from loans.personal_data import RULES as PERSONAL_RULES
from loans.personal_data import mask
from loans.roles import Role
from workflow.models import AuditEvent
from workflow.reference import ReferenceAction

# Facts that are not a field of the model, with their label.
_EXTRA_LABELS = {"roles": gettext_lazy("roles")}
# What a policy version records about its own making, not policy.
_POLICY_BOOKKEEPING = frozenset({"id", "created_at", "created_by"})


def staff_facts(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "branch": user.branch.code if user.branch else None,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "authority_level": user.authority_level,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def policy_facts(version: PolicyVersion) -> dict[str, Any]:
    return {
        field.name: _to_the_second(field.value_from_object(version))
        for field in PolicyVersion._meta.concrete_fields
        if field.name not in _POLICY_BOOKKEEPING
    }


def _to_the_second(value: Any) -> Any:
    """Moments as precise as the admin's form shows them: saving it unchanged changes nothing."""
    return value.replace(microsecond=0) if isinstance(value, datetime) else value


def blocked_facts(entry: BlockedBorrower) -> dict[str, Any]:
    return {
        "id_number": entry.id_number,
        "name": entry.name,
        "active": entry.active,
        "reason": entry.reason,
    }


FACTS: dict[type[models.Model], Callable[[Any], dict[str, Any]]] = {
    User: staff_facts,
    PolicyVersion: policy_facts,
    BlockedBorrower: blocked_facts,
}
REFERENCE_MODELS = tuple(FACTS)


def reference_facts(obj: models.Model) -> dict[str, Any]:
    """The reference facts of ``obj``, as it is in memory."""
    return FACTS[type(obj)](obj)


def stored_facts(obj: models.Model) -> dict[str, Any]:
    """The reference facts of ``obj`` as stored, holding its row lock until the transaction ends."""
    manager = type(obj)._default_manager
    return reference_facts(manager.select_for_update().get(pk=obj.pk))


# --- how a change reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedFact:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ReferenceChange:
    event: AuditEvent
    kind: str  # the model's verbose name
    name: str  # the object's name when the change was made
    action: str
    facts: list[ChangedFact]


def describe(event: AuditEvent) -> ReferenceChange:
    """``event`` in words: the object, the action and each changed fact as before → after."""
    model = event.content_type.model_class()
    assert model is not None  # noqa: S101 - events are written for models that exist
    changes: Mapping[str, list[Any]] = event.payload.get("changes", {})
    position = {field.name: n for n, field in enumerate(model._meta.get_fields())}
    names = sorted(changes, key=lambda name: (position.get(name, len(position)), name))
    action = event.action
    return ReferenceChange(
        event=event,
        kind=str(model._meta.verbose_name),
        name=str(event.payload.get("object", event.object_id)),
        action=str(ReferenceAction(action).label) if action in ReferenceAction.values else action,
        facts=[
            fact for fact in (changed_fact(model, name, *changes[name]) for name in names) if fact
        ],
    )


def changed_fact(
    model: type[models.Model], name: str, before: Any, after: Any
) -> ChangedFact | None:
    """The change in words; None when it reads the same (nothing became an empty list)."""
    old, new = _words(model, name, before), _words(model, name, after)
    return ChangedFact(_label(model, name), old, new) if old != new else None


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _label(model: type[models.Model], name: str) -> str:
    field = _field(model, name)
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    return str(_EXTRA_LABELS.get(name, name))


def _words(model: type[models.Model], name: str, value: Any) -> str:
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in PERSONAL_RULES:
        return mask(value, name)
    if name == "roles":
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(role, role)) for role in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    field = _field(model, name)
    if isinstance(field, models.ForeignKey):  # kept as the related row's key
        related = field.remote_field.model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is not None:
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)
