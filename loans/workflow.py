"""The loan process, in one file.

    intake ─start_site_visit→ site_visit ─submit_for_review→ review ─submit_for_approval→ approval
    approval ─approve→ disbursement ─disburse→ post_loan ─close→ closed

    return for revision (reason code and comment):
        site_visit → intake        return_to_intake       (account manager)
        review → site_visit        return_to_site_visit   (reviewer)
        approval → review          return_to_review       (approver)
        disbursement → approval    return_to_approval     (disbursement officer)
    reject:   review, approval → rejected                 (reviewer, approver)
    withdraw: intake … disbursement → withdrawn           (account manager, the borrower withdraws)

Every transition below names the roles that may perform it and the mandatory checks it runs
(loans/checks.py). The engine (workflow/engine.py) is the only caller of these methods: it locks the
loan, evaluates every check, and either performs the transition with an audit event or refuses it
and records a deviation. Stage SLAs are in ``STAGE_SLA``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from loans import checks, effects
from loans.choices import ApprovalOutcome
from loans.roles import Role
from workflow.definition import transition
from workflow.registry import Process


class LoanState(models.TextChoices):
    INTAKE = "intake", _("intake")
    SITE_VISIT = "site_visit", _("site visit")
    REVIEW = "review", _("review")
    APPROVAL = "approval", _("approval")
    DISBURSEMENT = "disbursement", _("disbursement")
    POST_LOAN = "post_loan", _("post-loan")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


TERMINAL_STATES = frozenset({LoanState.CLOSED, LoanState.REJECTED, LoanState.WITHDRAWN})
S = LoanState  # short alias for the declarations below


@dataclass(frozen=True)
class SLA:
    """How a stage's deadline is counted. The number of days is policy (``sla_days``)."""

    remind_after: int  # remind the owner of the next step after this many days
    business_days: bool = True  # else calendar days
    owners: frozenset[str] = frozenset()  # roles reminded; empty: the loan's account manager


STAGE_SLA = {
    S.INTAKE: SLA(remind_after=2),
    S.SITE_VISIT: SLA(remind_after=3),
    S.REVIEW: SLA(remind_after=2, owners=frozenset({Role.REVIEWER})),
    S.APPROVAL: SLA(remind_after=1, owners=frozenset({Role.APPROVER})),
    S.DISBURSEMENT: SLA(
        remind_after=20, business_days=False, owners=frozenset({Role.DISBURSEMENT_OFFICER})
    ),
}
# Post-loan inspections: remind this many days before one is due; escalate a business day after.
INSPECTION_REMINDER_DAYS = 3
ESCALATION_BUSINESS_DAYS = 1


class LoanWorkflow(ConcurrentTransitionMixin, models.Model):
    state = FSMField(
        _("state"), default=S.INTAKE, choices=LoanState.choices, protected=True, db_index=True
    )

    if TYPE_CHECKING:  # fields of the concrete model that transitions stamp
        approved_at: datetime | None

    class Meta:
        abstract = True

    # --- the happy path ----------------------------------------------------------------------

    @transition(
        source=S.INTAKE,
        target=S.SITE_VISIT,
        label=_("Start the site visit"),
        roles={Role.ACCOUNT_MANAGER},
        checks=[
            checks.identity_valid,
            checks.application_complete,
            checks.within_product_limits,
            checks.credit_authorisation_on_file,
            checks.interview_recorded,
            checks.borrower_not_blocked,
        ],
    )
    def start_site_visit(self) -> None:
        pass

    @transition(
        source=S.SITE_VISIT,
        target=S.REVIEW,
        label=_("Submit for review"),
        roles={Role.ACCOUNT_MANAGER},
        checks=[
            checks.two_investigators,
            checks.visit_date_valid,
            checks.evidence_collected,  # soft
            checks.report_sections_complete,
            checks.collateral_valued,
        ],
    )
    def submit_for_review(self) -> None:
        pass

    @transition(
        source=S.REVIEW,
        target=S.APPROVAL,
        label=_("Submit for approval"),
        roles={Role.REVIEWER},
        checks=[
            checks.reviewer_independent,
            checks.credit_report_checked,
            checks.review_written,
            checks.portfolio_limits,  # soft
            checks.single_borrower_limit,
        ],
    )
    def submit_for_approval(self) -> None:
        pass

    @transition(
        source=S.APPROVAL,
        target=S.APPROVAL,
        label=_("Endorse (first of two top-level approvers)"),
        roles={Role.APPROVER},
        checks=[checks.approver_independent, checks.endorsement_allowed],
        effects=[effects.record_decision(ApprovalOutcome.ENDORSED)],
    )
    def endorse(self) -> None:
        pass

    @transition(
        source=S.APPROVAL,
        target=S.DISBURSEMENT,
        label=_("Approve"),
        roles={Role.APPROVER},
        checks=[
            checks.approver_independent,
            checks.approver_authority,
            checks.approval_conditions_stated,
        ],
        effects=[effects.record_decision(ApprovalOutcome.APPROVED)],
    )
    def approve(self) -> None:
        self.approved_at = timezone.now()

    @transition(
        source=S.DISBURSEMENT,
        target=S.POST_LOAN,
        label=_("Disburse"),
        roles={Role.DISBURSEMENT_OFFICER},
        checks=[
            checks.disbursement_officer_independent,
            checks.contract_signed,
            checks.conditions_fulfilled,
            checks.approval_not_expired,
            checks.drawdowns_ready,
            checks.entrusted_payment,
            checks.no_split_drawdowns,
        ],
        effects=[effects.pay_drawdowns],
    )
    def disburse(self) -> None:
        pass

    @transition(
        source=S.POST_LOAN,
        target=S.CLOSED,
        label=_("Close"),
        roles={Role.ACCOUNT_MANAGER},
        checks=[checks.balance_repaid, checks.no_inspection_overdue],
    )
    def close(self) -> None:
        pass

    # --- return for revision (a reason code and a comment in the payload) --------------------

    @transition(
        source=S.SITE_VISIT,
        target=S.INTAKE,
        label=_("Return to intake"),
        roles={Role.ACCOUNT_MANAGER},
        checks=[checks.reason_given],
    )
    def return_to_intake(self) -> None:
        pass

    @transition(
        source=S.REVIEW,
        target=S.SITE_VISIT,
        label=_("Return to site visit"),
        roles={Role.REVIEWER},
        checks=[checks.reviewer_independent, checks.reason_given],
    )
    def return_to_site_visit(self) -> None:
        pass

    @transition(
        source=S.APPROVAL,
        target=S.REVIEW,
        label=_("Return to review"),
        roles={Role.APPROVER},
        checks=[checks.approver_independent, checks.reason_given],
        effects=[effects.record_decision(ApprovalOutcome.RETURNED)],
    )
    def return_to_review(self) -> None:
        pass

    @transition(
        source=S.DISBURSEMENT,
        target=S.APPROVAL,
        label=_("Return to approval"),
        roles={Role.DISBURSEMENT_OFFICER},
        checks=[checks.disbursement_officer_independent, checks.reason_given],
    )
    def return_to_approval(self) -> None:
        self.approved_at = None

    # --- endings ---------------------------------------------------------------------------

    @transition(
        source=S.REVIEW,
        target=S.REJECTED,
        label=_("Reject"),
        roles={Role.REVIEWER},
        checks=[checks.reviewer_independent, checks.reason_given],
    )
    @transition(
        source=S.APPROVAL,
        target=S.REJECTED,
        label=_("Reject"),
        roles={Role.APPROVER},
        checks=[checks.approver_independent, checks.reason_given],
        effects=[effects.record_decision(ApprovalOutcome.REJECTED)],
    )
    def reject(self) -> None:
        pass

    @transition(
        source=[S.INTAKE, S.SITE_VISIT, S.REVIEW, S.APPROVAL, S.DISBURSEMENT],
        target=S.WITHDRAWN,
        label=_("Withdraw (the borrower withdraws)"),
        roles={Role.ACCOUNT_MANAGER},
        checks=[checks.reason_given],
    )
    def withdraw(self) -> None:
        pass


class LoanProcess(Process):
    """How the engine works loans: roles from staff groups, scope from the loan's branch."""

    name = "loan"
    initial = S.INTAKE
    terminal = TERMINAL_STATES
    exception_roles = frozenset({Role.BRANCH_HEAD})
    compliance_roles = frozenset({Role.COMPLIANCE_OFFICER})

    def roles_of(self, actor: Any) -> frozenset[str]:
        return actor.roles  # type: ignore[no-any-return]

    def can_access(self, actor: Any, obj: Any) -> bool:
        return obj.branch_id in actor.visible_branch_ids

    def scope_of(self, obj: Any) -> str:
        return obj.branch.code  # type: ignore[no-any-return]

    def on_entered(self, obj: Any, state: str, now: datetime) -> None:
        obj.state_entered_at = now
        if state == S.POST_LOAN and obj.disbursed_at is None:
            obj.disbursed_at = now

    def timer_plans(self, obj: Any, state: str, now: datetime) -> list[Any]:
        from loans.schedule import inspection_plan, stage_plan

        if state in STAGE_SLA:
            return [stage_plan(obj, LoanState(state), now)]
        if state == S.POST_LOAN:
            return [inspection_plan(obj)]
        return []

    def reminder_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.schedule import owners

        return owners(obj, timer.stage)

    def escalation_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.selectors import branch_heads_of

        return branch_heads_of(obj)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        from loans.selectors import loan_snapshot

        return loan_snapshot(obj)

    def policy_for(self, obj: Any) -> Any:
        from loans.policy import policy_in_force

        return policy_in_force()
