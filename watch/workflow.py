"""The watch-list process, in one file: an item an early-warning signal opened, until resolved.

    open ─resolve→ resolved      (the owner or the branch head, saying what was done)
    open: watch_note             (an action note along the way, any number)

An item is opened by a signal (watch/rules.py, evaluated by watch/services.py after the loan's
steps that can raise it and by the daily task), not by a person: the opening is a system event,
``watch_opened``, the first of the item's own audit chain (as a collection case's, ADR 0004). Its
SLA runs from the opening: ``SLA_DAYS`` business days by the signal's severity, a reminder to the
owner one business day before, lateness recorded as a deviation at due, and an escalation to the
branch head a business day later, which joins the chain as ``watch_escalated``.

The engine (workflow/) performs every step: it locks the item, evaluates the checks below
(watch/checks.py), writes with an audit event in the item's chain or refuses and records a
deviation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField

from loans.roles import Role
from watch import checks, effects
from watch.states import ESCALATED, OPEN_STATES, OPENED, TERMINAL_STATES, ItemState, Severity
from workflow import reads
from workflow.definition import Action, action, transition
from workflow.models import StateMachine
from workflow.registry import Process

__all__ = ["ACTIONS", "SLA_DAYS", "ItemState", "WatchProcess", "WatchWorkflow"]

S = ItemState
WORKERS = frozenset({Role.ACCOUNT_MANAGER, Role.BRANCH_HEAD})
OWNER = [checks.watch_item_owner]

# Business days from opening to due, by the signal's severity (bank policy, docs/insight.md).
SLA_DAYS = {Severity.HIGH: 3, Severity.MEDIUM: 5, Severity.LOW: 10}
REMIND_BEFORE_BUSINESS_DAYS = 1
ESCALATION_BUSINESS_DAYS = 1


class WatchWorkflow(StateMachine):
    state = FSMField(
        _("state"), default=S.OPEN, choices=ItemState.choices, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(
        source=S.OPEN,
        target=S.RESOLVED,
        label=_("Resolve"),
        roles=WORKERS,
        checks=[*OWNER, checks.watch_action_noted],
        effects=[effects.resolution_note],
    )
    def resolve(self) -> None:
        pass


ACTIONS: tuple[Action, ...] = (
    action(
        "watch_note",
        label=_("Add an action note"),
        states=OPEN_STATES,
        roles=WORKERS,
        checks=[*OWNER, checks.watch_note_given],
        perform="watch.services.watch_note",
    ),
)


class WatchProcess(Process):
    """How the engine works watch-list items: roles from staff groups, scope from the branch."""

    name = "watch"
    initial = S.OPEN
    terminal = TERMINAL_STATES
    compliance_roles = frozenset({Role.COMPLIANCE_OFFICER})
    actions = ACTIONS
    event_labels = {
        OPENED: _("Watch-list item opened"),
        ESCALATED: _("Escalated to the branch head"),
    }

    def roles_of(self, actor: Any) -> frozenset[str]:
        return frozenset() if actor is None else actor.roles

    def locked_read(
        self,
        queryset: models.QuerySet[Any],
        now: datetime,
        reads: frozenset[str] | None = None,
    ) -> models.QuerySet[Any]:
        return queryset.select_related("loan", "branch", "account_manager")

    def sweep_read(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.select_related("loan", "branch", "account_manager")

    def can_access(self, actor: Any, obj: Any) -> bool:
        return actor is not None and obj.branch_id in actor.visible_branch_ids

    def scope_of(self, obj: Any) -> str:
        return obj.branch.code  # type: ignore[no-any-return]

    def on_entered(self, obj: Any, state: str, now: datetime) -> None:
        obj.state_entered_at = now
        if state in TERMINAL_STATES:
            obj.resolved_at = now

    def timer_plans(self, obj: Any, state: str, now: datetime) -> list[Any]:
        from watch.schedule import item_plan

        return [item_plan(obj, now)] if state == S.OPEN else []

    def reminder_recipients(self, obj: Any, timer: Any) -> list[Any]:
        return [obj.account_manager]

    def escalation_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.selectors import branch_heads_of

        return reads.once(("watch.heads", obj.branch_id), lambda: branch_heads_of(obj.loan))

    def integrity_recipients(self, obj: Any) -> list[Any]:
        from loans.selectors import overseers_of

        return overseers_of(obj.loan if obj is not None else None)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return {
            "state": obj.state,
            "signal": obj.signal,
            "loan": obj.loan.reference,
            "account_manager": obj.account_manager_id,
            "due_at": obj.due_at.isoformat() if obj.due_at else None,
        }

    def policy_for(self, obj: Any) -> Any:
        from loans.policy import current_policy

        return current_policy()
