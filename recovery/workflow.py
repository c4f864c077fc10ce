"""The collection process, in one file: a case on a loan in arrears, from opening to its end.

    open ─mark_contacted→ contacted ─take_promise→ promise_to_pay ─resolve→ resolved
    open ─take_promise→ promise_to_pay          (a promise at the first contact)
    promise_to_pay ─promise_broken→ contacted
    contacted ─propose_restructuring→ restructuring_proposed ─accept_restructuring→ resolved
    contacted, promise_to_pay, restructuring_proposed ─start_legal_action→ legal_action
    contacted, legal_action ─resolve→ resolved  (the arrears are cleared)
    contacted … legal_action ─propose_write_off→ write_off_proposed   (loan in the loss class)
    write_off_proposed ─write_off→ written_off  (branch head, after two top-level endorsements)
    write_off_proposed ─decline_write_off→ legal_action

A case is opened by the daily opener (recovery/opening.py), not by a person: a loan in post-loan
more than ``collection_after_days`` (policy) past due gets one; the opening is a system event, the
first of the case's own audit chain. The account manager works the case: logs contact attempts
(``contact_log``; a reached borrower before any promise), takes the promise, proposes a
restructuring, legal action or a write-off. A reviewer or approver accepts a restructuring; two
different top-level approvers endorse a write-off (``write_off_endorse``, one action each), and a
branch head, a third person, writes it off.

The engine (workflow/) performs every step: it locks the case, evaluates the checks below
(recovery/checks.py), writes with an audit event in the case's hash chain or refuses and records a
deviation. Stage SLAs: ``CASE_SLA`` with days from the policy (``collection_sla_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from loans.roles import Role
from recovery import checks, effects
from recovery.states import OPEN_STATES, TERMINAL_STATES, CaseState
from workflow import reads
from workflow.definition import Action, action, transition
from workflow.registry import Process

__all__ = ["ACTIONS", "CASE_SLA", "CaseState", "CaseWorkflow", "CollectionProcess"]

S = CaseState
MANAGER = frozenset({Role.ACCOUNT_MANAGER})
CHECKER = frozenset({Role.REVIEWER, Role.APPROVER})
APPROVER = frozenset({Role.APPROVER})
HEAD = frozenset({Role.BRANCH_HEAD})
OWNER = [checks.case_owner]
WORKING = (S.CONTACTED, S.PROMISE_TO_PAY, S.RESTRUCTURING_PROPOSED, S.LEGAL_ACTION)


@dataclass(frozen=True)
class SLA:
    """How a case state's deadline is counted; the days are policy (``collection_sla_days``),
    except in promise_to_pay, which is due the day after the date promised."""

    remind_after: int
    business_days: bool = True
    owners: frozenset[str] = frozenset()  # roles reminded; empty: the case's account manager


CASE_SLA = {
    S.OPEN: SLA(remind_after=2),
    S.CONTACTED: SLA(remind_after=7),
    S.RESTRUCTURING_PROPOSED: SLA(remind_after=7, owners=CHECKER),
    S.LEGAL_ACTION: SLA(remind_after=45, business_days=False),
    S.WRITE_OFF_PROPOSED: SLA(remind_after=5, owners=APPROVER | HEAD),
}
ESCALATION_BUSINESS_DAYS = 1


class CaseWorkflow(ConcurrentTransitionMixin, models.Model):
    state = FSMField(
        _("state"), default=S.OPEN, choices=CaseState.choices, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(
        source=S.OPEN,
        target=S.CONTACTED,
        label=_("Mark contacted"),
        roles=MANAGER,
        checks=[*OWNER, checks.contact_logged],
    )
    def mark_contacted(self) -> None:
        pass

    @transition(
        source=[S.OPEN, S.CONTACTED],
        target=S.PROMISE_TO_PAY,
        label=_("Take a promise to pay"),
        roles=MANAGER,
        checks=[
            *OWNER,
            checks.contact_logged,
            checks.promised_amount_given,
            checks.promised_date_given,
        ],
        effects=[effects.promise_keep],
    )
    def take_promise(self) -> None:
        pass

    @transition(
        source=S.PROMISE_TO_PAY,
        target=S.CONTACTED,
        label=_("Promise broken"),
        roles=MANAGER,
        checks=[*OWNER, checks.comment_given],
    )
    def promise_broken(self) -> None:
        pass

    @transition(
        source=S.CONTACTED,
        target=S.RESTRUCTURING_PROPOSED,
        label=_("Propose a restructuring"),
        roles=MANAGER,
        checks=[*OWNER, checks.contact_logged, checks.comment_given],
    )
    def propose_restructuring(self) -> None:
        pass

    @transition(
        source=S.RESTRUCTURING_PROPOSED,
        target=S.RESOLVED,
        label=_("Accept the restructuring"),
        roles=CHECKER,
        checks=[checks.reviewer_independent_of_case, checks.comment_given],
    )
    def accept_restructuring(self) -> None:
        pass

    @transition(
        source=[S.CONTACTED, S.PROMISE_TO_PAY, S.RESTRUCTURING_PROPOSED],
        target=S.LEGAL_ACTION,
        label=_("Start legal action"),
        roles=MANAGER,
        checks=[*OWNER, checks.comment_given],
    )
    def start_legal_action(self) -> None:
        pass

    @transition(
        source=[S.CONTACTED, S.PROMISE_TO_PAY, S.LEGAL_ACTION],
        target=S.RESOLVED,
        label=_("Resolve (arrears cleared)"),
        roles=MANAGER,
        checks=[*OWNER, checks.arrears_cleared],
    )
    def resolve(self) -> None:
        pass

    @transition(
        source=WORKING,
        target=S.WRITE_OFF_PROPOSED,
        label=_("Propose a write-off"),
        roles=MANAGER,
        checks=[*OWNER, checks.loan_in_loss_class, checks.comment_given],
    )
    def propose_write_off(self) -> None:
        pass

    @transition(
        source=S.WRITE_OFF_PROPOSED,
        target=S.WRITTEN_OFF,
        label=_("Write off"),
        roles=HEAD,
        checks=[
            checks.head_not_endorser,
            checks.loan_in_loss_class,
            checks.two_endorsements,
            checks.comment_given,
        ],
    )
    def write_off(self) -> None:
        pass

    @transition(
        source=S.WRITE_OFF_PROPOSED,
        target=S.LEGAL_ACTION,
        label=_("Decline the write-off"),
        roles=HEAD,
        checks=[checks.comment_given],
    )
    def decline_write_off(self) -> None:
        pass


# --- every other write to a case's file ---------------------------------------------------------

ACTIONS: tuple[Action, ...] = (
    action(
        "contact_log",
        label=_("Log a contact attempt"),
        states=OPEN_STATES,
        roles=MANAGER,
        checks=[*OWNER, checks.contact_dated, checks.contact_notes_given],
        perform="recovery.services.contact_log",
    ),
    action(
        "write_off_endorse",
        label=_("Endorse the write-off"),
        states=[S.WRITE_OFF_PROPOSED],
        roles=APPROVER,
        checks=[
            checks.top_level_approver,
            checks.endorser_independent,
            checks.endorser_not_repeated,
            checks.loan_in_loss_class,
            checks.endorsement_note_given,
        ],
        perform="recovery.services.write_off_endorse",
    ),
)


class CollectionProcess(Process):
    """How the engine works collection cases: roles from staff groups, scope from the branch."""

    name = "collection"
    initial = S.OPEN
    terminal = TERMINAL_STATES
    compliance_roles = frozenset({Role.COMPLIANCE_OFFICER})
    actions = ACTIONS
    event_labels = {"case_opened": _("Collection case opened")}

    def roles_of(self, actor: Any) -> frozenset[str]:
        return actor.roles  # type: ignore[no-any-return]

    def locked_read(
        self,
        queryset: models.QuerySet[Any],
        now: datetime,
        reads: frozenset[str] | None = None,
    ) -> models.QuerySet[Any]:
        # The loan's class and arrears, the branch (scope) come with the locked case (read only).
        return queryset.select_related("loan", "branch", "account_manager")

    def sweep_read(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.select_related("loan", "branch", "account_manager")

    def can_access(self, actor: Any, obj: Any) -> bool:
        return obj.branch_id in actor.visible_branch_ids

    def scope_of(self, obj: Any) -> str:
        return obj.branch.code  # type: ignore[no-any-return]

    def on_entered(self, obj: Any, state: str, now: datetime) -> None:
        obj.state_entered_at = now
        if state in TERMINAL_STATES:
            obj.closed_at = now

    def timer_plans(self, obj: Any, state: str, now: datetime) -> list[Any]:
        from recovery.schedule import case_plan

        plan = case_plan(obj, CaseState(state), now)
        return [plan] if plan else []

    def reminder_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from recovery.schedule import owners

        return reads.once(("recovery.owners", obj.pk, timer.stage), lambda: owners(obj, timer))

    def escalation_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.selectors import branch_heads_of

        return reads.once(("recovery.heads", obj.branch_id), lambda: branch_heads_of(obj))

    def integrity_recipients(self, obj: Any) -> list[Any]:
        from loans.selectors import overseers_of

        return overseers_of(obj.loan if obj is not None else None)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        return {
            "state": obj.state,
            "loan": obj.loan.reference,
            "days_past_due": obj.loan.days_past_due,
            "risk_class": obj.loan.risk_class,
            "promised_amount": str(obj.promised_amount) if obj.promised_amount else None,
            "promised_date": obj.promised_date.isoformat() if obj.promised_date else None,
        }

    def policy_for(self, obj: Any) -> Any:
        from loans.policy import current_policy

        return current_policy()
