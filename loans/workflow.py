"""The loan process, in one file: its transitions, and every other write to a loan's file.

    intake ─start_site_visit→ site_visit ─submit_for_review→ review ─submit_for_approval→ approval
    approval ─approve→ disbursement ─disburse→ post_loan ─close→ closed

    return for revision (reason code and comment):
        site_visit → intake        return_to_intake       (account manager)
        review → site_visit        return_to_site_visit   (reviewer)
        approval → review          return_to_review       (approver)
        disbursement → approval    return_to_approval     (disbursement officer)
    reject:   review, approval → rejected                 (reviewer, approver)
    withdraw: intake … disbursement → withdrawn           (account manager, the borrower withdraws)

Every transition names the roles that may perform it and the checks it runs (loans/checks/). Every
forward transition re-runs the intake checks, in case anything changed since.

Below the transitions, ``ACTIONS`` declares every other write to a loan's file: the stage records
of ``RECORDS`` (added in their own stage; corrected or cancelled with a reason by their author
within it and by the branch head afterwards), the application, the contract's versions, approval
conditions, confirmations by a second person, a renewal (a new application linked to the loan it
renews, from post-loan or closed), an extension (展期: asked by the account manager, reviewed and
approved again as the loan was, then a new schedule version), delegation, policy exceptions, the
days past due and the classification floor they set (the system's own steps, performed with no
person), a technical overdue, a restructuring, a comment on the loan (its thread: never edited, a
correction is a new comment; a mentioned colleague is notified), and the reveal of a full personal
value (its only write is the audit event; loans/personal_data.py). The engine (workflow/engine.py,
workflow/actions.py) is the only caller of all of them: it locks the loan, evaluates every check,
and either writes with an audit event in the loan's hash chain, or refuses and records a deviation
(an input error is only answered, never recorded).
Stage SLAs: ``STAGE_SLA``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from loans import checks, effects
from loans.choices import ApprovalOutcome
from loans.roles import Agent, Capacity, Role
from loans.states import NO_DEADLINE, OPEN_STATES, TERMINAL_STATES, LoanState
from workflow import exceptions, reads
from workflow.checks import Check
from workflow.definition import Action, action, transition
from workflow.models import StateMachine
from workflow.registry import Process

__all__ = ["ACTIONS", "RECORDS", "TERMINAL_STATES", "LoanProcess", "LoanState", "LoanWorkflow"]

S = LoanState  # short alias for the declarations below
MANAGER = frozenset({Role.ACCOUNT_MANAGER})
REVIEWER = frozenset({Role.REVIEWER})
APPROVER = frozenset({Role.APPROVER})
OFFICER = frozenset({Role.DISBURSEMENT_OFFICER})
HEAD = frozenset({Role.BRANCH_HEAD})
STAFF = frozenset(Role)  # every role: what decides is whether the person sees the loan
SYSTEM = frozenset({Agent.SYSTEM})  # the system's own steps: performed with no person (None)
RETURN = [checks.reason_given]  # a return, rejection or withdrawal says why
# A decision at review or approval: the approver's (or reviewer's) written opinion goes with it;
# a return or rejection names its reason, and its opinion says why.
OPINION = [checks.opinion_written]
DECLINE = [checks.reason_chosen, checks.opinion_written]


@dataclass(frozen=True)
class SLA:
    """How a stage's deadline is counted. The number of days is policy (``sla_days``)."""

    remind_after: int  # remind the owner of the next step after this many days
    business_days: bool = True  # else calendar days
    owners: frozenset[str] = frozenset()  # roles reminded; empty: the loan's account manager


# Where a step keeps the stage plan it entered with (on_entered) for its timers (timer_plans).
ENTERED_PLAN = "_entered_stage_plan"

STAGE_SLA = {
    S.INTAKE: SLA(remind_after=2),
    S.SITE_VISIT: SLA(remind_after=3),
    S.REVIEW: SLA(remind_after=2, owners=REVIEWER),
    S.APPROVAL: SLA(remind_after=1, owners=APPROVER),
    S.DISBURSEMENT: SLA(remind_after=20, business_days=False, owners=OFFICER),
}
# The role whose work each stage is: a person who holds it and another role a step allows (an
# account manager who also reviews, asking for a policy exception in review) acts in this one.
STAGE_ROLE = {
    S.INTAKE: Role.ACCOUNT_MANAGER,
    S.SITE_VISIT: Role.ACCOUNT_MANAGER,
    S.REVIEW: Role.REVIEWER,
    S.APPROVAL: Role.APPROVER,
    S.DISBURSEMENT: Role.DISBURSEMENT_OFFICER,
    S.POST_LOAN: Role.ACCOUNT_MANAGER,
}
# Post-loan inspections: remind this many days before one is due; escalate a business day after.
INSPECTION_REMINDER_DAYS = 3
ESCALATION_BUSINESS_DAYS = 1


class LoanWorkflow(StateMachine):
    # Indexed by the loan's Meta (loans/models/loan.py), without the text pattern index that
    # db_index would add.
    state = FSMField(_("state"), default=S.INTAKE, choices=LoanState.choices, protected=True)

    if TYPE_CHECKING:  # fields of the concrete model that transitions stamp
        approved_at: datetime | None

    class Meta:
        abstract = True

    # --- the happy path ----------------------------------------------------------------------

    @transition(
        source=S.INTAKE,
        target=S.SITE_VISIT,
        label=_("Start the site visit"),
        roles=MANAGER,
        checks=[checks.loan_owner, *checks.INTAKE],
    )
    def start_site_visit(self) -> None:
        pass

    @transition(
        source=S.SITE_VISIT,
        target=S.REVIEW,
        label=_("Submit for review"),
        roles=MANAGER,
        checks=[
            checks.loan_owner,
            *checks.INTAKE,
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
        roles=REVIEWER,
        checks=[
            checks.reviewer_independent,
            *checks.INTAKE,
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
        roles=APPROVER,
        checks=[checks.approver_independent, checks.endorsement_allowed, *OPINION],
        effects=[effects.record_decision(ApprovalOutcome.ENDORSED)],
    )
    def endorse(self) -> None:
        pass

    @transition(
        source=S.APPROVAL,
        target=S.DISBURSEMENT,
        label=_("Approve"),
        roles=APPROVER,
        checks=[
            checks.approver_independent,
            checks.approver_authority,
            checks.pricing_authority,
            *checks.INTAKE,
            checks.approval_conditions_stated,
            *OPINION,
        ],
        effects=[effects.record_decision(ApprovalOutcome.APPROVED)],
    )
    def approve(self) -> None:
        self.approved_at = timezone.now()

    @transition(
        source=S.DISBURSEMENT,
        target=S.POST_LOAN,
        label=_("Disburse"),
        roles=OFFICER,
        checks=[
            checks.disbursement_officer_independent,
            *checks.INTAKE,
            checks.contract_signed,
            checks.conditions_fulfilled,
            checks.approval_not_expired,
            checks.drawdowns_ready,
            checks.entrusted_payment,
            checks.no_split_drawdowns,
        ],
        effects=[effects.pay_drawdowns, effects.make_schedule],
    )
    def disburse(self) -> None:
        pass

    @transition(
        source=S.POST_LOAN,
        target=S.CLOSED,
        label=_("Close"),
        roles=MANAGER,
        checks=[checks.loan_owner, checks.balance_repaid, checks.no_inspection_overdue],
    )
    def close(self) -> None:
        pass

    # --- return for revision (a reason code and a comment in the payload) --------------------

    @transition(
        source=S.SITE_VISIT,
        target=S.INTAKE,
        label=_("Return to intake"),
        roles=MANAGER,
        checks=[checks.loan_owner, *RETURN],
    )
    def return_to_intake(self) -> None:
        pass

    @transition(
        source=S.REVIEW,
        target=S.SITE_VISIT,
        label=_("Return to site visit"),
        roles=REVIEWER,
        checks=[checks.reviewer_independent, *DECLINE],
        effects=[effects.record_decision(ApprovalOutcome.RETURNED, Role.REVIEWER)],
    )
    def return_to_site_visit(self) -> None:
        pass

    @transition(
        source=S.APPROVAL,
        target=S.REVIEW,
        label=_("Return to review"),
        roles=APPROVER,
        checks=[checks.approver_independent, *DECLINE],
        effects=[effects.record_decision(ApprovalOutcome.RETURNED)],
    )
    def return_to_review(self) -> None:
        pass

    @transition(
        source=S.DISBURSEMENT,
        target=S.APPROVAL,
        label=_("Return to approval"),
        roles=OFFICER,
        checks=[checks.disbursement_officer_independent, *RETURN],
    )
    def return_to_approval(self) -> None:
        self.approved_at = None

    # --- endings ---------------------------------------------------------------------------

    @transition(
        source=S.REVIEW,
        target=S.REJECTED,
        label=_("Reject"),
        roles=REVIEWER,
        checks=[checks.reviewer_independent, *DECLINE],
        effects=[effects.record_decision(ApprovalOutcome.REJECTED, Role.REVIEWER)],
    )
    @transition(
        source=S.APPROVAL,
        target=S.REJECTED,
        label=_("Reject"),
        roles=APPROVER,
        checks=[checks.approver_independent, checks.approver_authority_to_reject, *DECLINE],
        effects=[effects.record_decision(ApprovalOutcome.REJECTED)],
    )
    def reject(self) -> None:
        pass

    @transition(
        source=[S.INTAKE, S.SITE_VISIT, S.REVIEW, S.APPROVAL, S.DISBURSEMENT],
        target=S.WITHDRAWN,
        label=_("Withdraw (the borrower withdraws)"),
        roles=MANAGER,
        checks=[checks.loan_owner, *RETURN],
    )
    def withdraw(self) -> None:
        pass


# --- stage records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of record in a loan's file. Each kind gives three actions: ``add`` (in its own
    stages, to its roles, under its checks), ``<name>_correct`` (the fields in ``correctable``)
    and ``<name>_cancel``. The web form and the API serializer are made from ``fields`` (what a
    person enters) and ``shown`` (what the record says besides, read-only in the API)."""

    name: str
    path: str  # its URL segment, on the web and in the API
    label: str | Promise
    model_label: str  # "app.Model": the model is read when first needed (it imports this file)
    fields: tuple[str, ...]  # what the person fills in
    related_name: str  # the loan's accessor
    roles: frozenset[str]
    states: tuple[str, ...]
    add: str  # the name of the action that adds one
    checks: tuple[Check, ...] = ()  # the add action's checks; corrections re-run its input checks
    rechecked: tuple[Check, ...] = ()  # other checks of ``checks`` a correction runs again
    correctable: tuple[str, ...] = ()  # the fields a correction may change (none: cancel only)
    shown: tuple[str, ...] = ()  # read-only facts: its author, what the service computed
    capacity: Capacity | None = None  # the part its author plays (None: the role acted in)
    services: str = "loans.services.records"  # the module whose function ``add`` writes it

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def perform(self) -> str:
        return f"{self.services}.{self.add}"


EARLY = (S.INTAKE, S.SITE_VISIT)
OWNER = (checks.loan_owner,)
CHECKER = (checks.reviewer_independent,)
PAYER = (checks.disbursement_officer_independent,)

RECORDS = (
    RecordKind(
        "interview",
        "interviews",
        _("Interview"),
        "loans.Interview",
        ("held_at", "location", "notes"),
        "interviews",
        MANAGER,
        (S.INTAKE,),
        add="interview_record",
        shown=("interviewer",),
        checks=(*OWNER, checks.interview_dated),
        correctable=("held_at", "location", "notes"),
    ),
    RecordKind(
        "credit_authorisation",
        "credit-authorisations",
        _("Credit report authorisation"),
        "loans.CreditAuthorisation",
        ("signed_at", "written_consent", "purpose"),
        "credit_authorisations",
        MANAGER,
        (S.INTAKE,),
        add="credit_authorisation_record",
        shown=("recorded_by",),
        checks=(*OWNER, checks.authorisation_dated, checks.consent_in_writing),
        correctable=("signed_at", "written_consent", "purpose"),
    ),
    RecordKind(
        "site_visit",
        "site-visits",
        _("Site visit"),
        "loans.SiteVisit",
        (
            "co_investigator",
            "visited_at",
            "location",
            "business",
            "cash_flow",
            "repayment_source",
            "guarantee",
        ),
        "site_visits",
        MANAGER,
        (S.SITE_VISIT,),
        add="site_visit_record",
        shown=("lead_investigator", "co_investigator_confirmed_at"),
        checks=(*OWNER, checks.co_investigator_eligible, checks.visit_dated),
        correctable=(
            "co_investigator",
            "visited_at",
            "location",
            "business",
            "cash_flow",
            "repayment_source",
            "guarantee",
        ),
        capacity=Capacity.INVESTIGATOR,
    ),
    RecordKind(
        "collateral_valuation",
        "collateral-valuations",
        _("Collateral valuation"),
        "loans.CollateralValuation",
        ("description", "value", "appraiser", "valued_at"),
        "collateral_valuations",
        MANAGER,
        EARLY,
        add="collateral_valuation_record",
        shown=("recorded_by",),
        checks=(*OWNER, checks.collateral_value_positive, checks.valuation_dated),
        correctable=("description", "value", "appraiser", "valued_at"),
    ),
    RecordKind(
        "guarantor",
        "guarantors",
        _("Guarantor"),
        "loans.Guarantor",
        ("kind", "name", "id_number", "phone", "amount", "signed_on"),
        "guarantors",
        MANAGER,
        EARLY,
        add="guarantor_record",
        shown=("recorded_by",),
        checks=(
            *OWNER,
            checks.guarantor_identity_valid,
            checks.guarantor_not_borrower,
            checks.guarantee_amount_positive,
            checks.guarantee_dated,
        ),
        correctable=("kind", "name", "id_number", "phone", "amount", "signed_on"),
        rechecked=(checks.guarantor_not_borrower,),
    ),
    RecordKind(
        "document",
        "documents",
        _("Document or photo"),
        "loans.Document",
        ("kind", "site_visit", "file"),
        "documents",
        MANAGER,
        (*EARLY, S.POST_LOAN),
        add="document_upload",
        shown=("original_name", "size", "uploaded_by", "uploaded_at"),
        checks=(*OWNER, checks.evidence_of_the_current_stage),
    ),
    RecordKind(
        "credit_report",
        "credit-reports",
        _("Credit report"),
        "loans.CreditReport",
        ("result", "overdue_accounts", "notes"),
        "credit_reports",
        REVIEWER,
        (S.REVIEW,),
        add="credit_report_record",
        shown=("queried_at", "queried_by"),
        checks=CHECKER,
        correctable=("result", "overdue_accounts", "notes"),
    ),
    RecordKind(
        "review",
        "reviews",
        pgettext_lazy("a record of the loan", "Review"),
        "loans.Review",
        ("monthly_income", "monthly_debt_payments", "opinion"),
        "reviews",
        REVIEWER,
        (S.REVIEW,),
        add="review_write",
        shown=(
            "reviewer",
            "debt_to_income",
            "risk_score",
            "risk_factors",
            "portfolio",
            "created_at",
        ),
        checks=(*CHECKER, checks.income_positive, checks.debt_payments_not_negative),
        correctable=("monthly_income", "monthly_debt_payments", "opinion"),
    ),
    RecordKind(
        "drawdown",
        "drawdowns",
        _("Drawdown"),
        "loans.Drawdown",
        ("amount", "method", "counterparty_name", "counterparty_account", "direct_payment_ground"),
        "drawdowns",
        OFFICER,
        (S.DISBURSEMENT,),
        add="drawdown_request",
        shown=("requested_by", "requested_at", "paid_at"),
        checks=(*PAYER, checks.drawdown_within_amount, checks.payment_method_allowed),
        correctable=(
            "amount",
            "method",
            "counterparty_name",
            "counterparty_account",
            "direct_payment_ground",
        ),
    ),
    RecordKind(
        "inspection",
        "inspections",
        _("Inspection"),
        "loans.Inspection",
        ("kind", "mode", "inspected_at", "findings", "funds_used_as_stated", "proposed_class"),
        "inspections",
        MANAGER,
        (S.POST_LOAN,),
        add="inspection_record",
        shown=("inspector",),
        checks=(
            *OWNER,
            checks.inspection_dated,
            checks.class_not_better_than_floor,
            checks.proposal_within_borrower_floor,
        ),
        correctable=("kind", "mode", "inspected_at", "findings", "funds_used_as_stated"),
        services="loans.services.post_loan",
    ),
    RecordKind(
        "repayment",
        "repayments",
        _("Repayment"),
        "loans.Repayment",
        ("principal", "paid_at", "early_repayment"),
        "repayments",
        OFFICER,
        (S.POST_LOAN,),
        add="repayment_record",
        shown=("recorded_by",),
        checks=(checks.repayment_within_balance, checks.repayment_dated),
        correctable=("paid_at",),
        services="loans.services.post_loan",
    ),
)
RECORD_BY_NAME = {kind.name: kind for kind in RECORDS}


def _record_actions(kind: RecordKind) -> list[Action]:
    """The add, correct and cancel actions of one kind of record."""
    input_checks = [c for c in kind.checks if c.kind == "input" or c in kind.rechecked]
    correct_roles = kind.roles | HEAD
    guard = [checks.record_of(kind.model_label), checks.correction_allowed(frozenset(kind.states))]
    if kind.name == "drawdown":  # funds paid out are not rewritten
        guard.append(checks.drawdown_not_paid)
    cancel_guard, correct_guard = list(guard), list(guard)
    if kind.name == "repayment":  # allocations to the schedule are undone only in order
        cancel_guard.append(checks.repayment_reversible)
        correct_guard.append(checks.repayment_not_allocated)
    found = [
        action(
            kind.add,
            label=kind.label,
            states=kind.states,
            roles=kind.roles,
            checks=kind.checks,
            perform=kind.perform,
        ),
        action(
            f"{kind.name}_cancel",
            label=format_lazy(_("Cancel: {record}"), record=kind.label),
            states=OPEN_STATES,
            roles=correct_roles,
            checks=[*cancel_guard, checks.correction_reason_given],
            perform="loans.services.corrections.record_cancel",
        ),
    ]
    if kind.correctable:
        found.append(
            action(
                f"{kind.name}_correct",
                label=format_lazy(_("Correct: {record}"), record=kind.label),
                states=OPEN_STATES,
                roles=correct_roles,
                checks=[*correct_guard, checks.correction_reason_given, *input_checks],
                perform="loans.services.corrections.record_correct",
            )
        )
    return found


# --- every other write to the file --------------------------------------------------------------

ACTIONS: tuple[Action, ...] = (
    action(
        "application_edit",
        label=_("Edit the application"),
        states=[S.INTAKE],
        roles=MANAGER,
        checks=[checks.loan_owner, checks.amount_within_product, checks.term_within_product],
        perform="loans.services.applications.application_edit",
    ),
    *(found for kind in RECORDS for found in _record_actions(kind)),
    action(
        "site_visit_confirm",
        label=_("Confirm the site visit as co-investigator"),
        states=[S.SITE_VISIT],
        roles=MANAGER,
        checks=[
            checks.record_of("loans.SiteVisit"),
            checks.named_co_investigator,
            checks.visit_awaiting_confirmation,
        ],
        perform="loans.services.records.site_visit_confirm",
    ),
    action(
        "contract_record",
        label=_("Record the contract"),
        states=[S.DISBURSEMENT],
        roles=OFFICER,
        checks=[
            *PAYER,
            checks.contract_number_free,
            checks.contract_dated,
            checks.witness_independent,
        ],
        perform="loans.services.records.contract_record",
    ),
    action(
        "condition_fulfil",
        label=_("Mark a condition fulfilled"),
        states=[S.DISBURSEMENT],
        roles=OFFICER,
        checks=[*PAYER, checks.condition_open, checks.fulfilment_note_given],
        perform="loans.services.records.condition_fulfil",
    ),
    action(
        "classification_upgrade_confirm",
        label=_("Confirm a better classification"),
        states=[S.POST_LOAN],
        roles=REVIEWER | APPROVER,
        checks=[
            checks.record_of("loans.Inspection"),
            checks.upgrade_confirmer_independent,
            checks.upgrade_awaiting_confirmation,
            checks.upgrade_within_floor,
            checks.upgrade_within_borrower_floor,
        ],
        perform="loans.services.post_loan.classification_upgrade_confirm",
    ),
    # --- days past due and the five-class classification (loans/classification.py) -----------
    # The core banking feed (loans/feed/) and the daily computation give the days past due; the
    # system then applies the floor they set in the same transaction (a downgrade reschedules
    # the inspections). The same figure again writes nothing.
    action(
        "days_past_due_update",
        label=_("Record the days past due"),
        states=[S.POST_LOAN],
        roles=SYSTEM | OFFICER,
        checks=[checks.days_past_due_given],
        perform="loans.services.classification.days_past_due_update",
    ),
    action(
        "classification_floor_apply",
        label=_("Apply the classification floor"),
        states=[S.POST_LOAN],
        roles=SYSTEM,
        perform="loans.services.classification.classification_floor_apply",
        # After a batch of the core-banking file, for the loans whose class it raises.
        perform_many="loans.services.classification.classification_floor_apply_many",
    ),
    # A loan's rows of one core-banking file (loans/feed/), in one step and one audit event:
    # its repayments, in the order paid, then its days past due; the system's floor follows.
    action(
        "core_feed_apply",
        label=_("Apply the core-banking file"),
        states=[S.POST_LOAN],
        roles=OFFICER,
        checks=[
            checks.feed_repayments_dated,
            checks.feed_repayments_within_balance,
            checks.feed_days_past_due_given,
        ],
        perform="loans.services.feed.core_feed_apply",
        # A file's loans a few hundred at a time (workflow/batch.py): the same checks and writes.
        perform_many="loans.services.feed.core_feed_apply_many",
        prepare_many="loans.services.feed.core_feed_prepare",
    ),
    action(
        "overdue_mark_technical",
        label=_("Mark the overdue as technical (the bank's own doing)"),
        states=[S.POST_LOAN],
        roles=REVIEWER,
        checks=[checks.reviewer_independent, checks.overdue_to_mark, checks.technical_reason_given],
        perform="loans.services.classification.overdue_mark_technical",
    ),
    action(
        "restructuring_record",
        label=_("Record a restructuring"),
        states=[S.POST_LOAN],
        roles=APPROVER,
        checks=[
            checks.approver_independent,
            checks.restructuring_dated,
            checks.restructuring_reason_given,
        ],
        perform="loans.services.classification.restructuring_record",
    ),
    action(
        "loan_renew",
        label=_("Renew the loan (a new application)"),
        states=[S.POST_LOAN, S.CLOSED],
        roles=MANAGER,
        checks=[checks.loan_owner, checks.renewal_not_in_arrears, checks.renewal_not_yet_opened],
        perform="loans.services.renewals.loan_renew",
    ),
    # --- extension (展期): asked in post-loan, reviewed and approved again --------------------
    # The loan stays in post-loan management (repayments, days past due and inspections go on);
    # the request is a record (loans.Extension) that the reviewer and the approver act on under
    # the loan's own separation of duties and authority. The approval makes a new schedule
    # version to the new maturity. Before maturity, nothing past due, within the policy's limits.
    action(
        "extension_request",
        label=_("Request an extension"),
        states=[S.POST_LOAN],
        roles=MANAGER,
        checks=[
            checks.loan_owner,
            checks.extension_months_given,
            checks.extension_reason_given,
            checks.extension_not_pending,
            checks.extension_before_maturity,
            checks.extension_not_in_arrears,
            checks.extension_within_limits,
        ],
        perform="loans.services.extensions.extension_request",
    ),
    action(
        "extension_review",
        label=_("Review the extension"),
        states=[S.POST_LOAN],
        roles=REVIEWER,
        checks=[
            checks.extension_of_the_loan,
            checks.reviewer_independent,
            checks.extension_awaiting_review,
            checks.extension_opinion_given,
        ],
        perform="loans.services.extensions.extension_review",
    ),
    action(
        "extension_endorse",
        label=_("Endorse the extension (first of two top-level approvers)"),
        states=[S.POST_LOAN],
        roles=APPROVER,
        checks=[
            checks.extension_of_the_loan,
            checks.approver_independent,
            checks.extension_endorsement_allowed,
            checks.extension_awaiting_approval,
        ],
        perform="loans.services.extensions.extension_endorse",
    ),
    action(
        "extension_approve",
        label=_("Approve the extension"),
        states=[S.POST_LOAN],
        roles=APPROVER,
        checks=[
            checks.extension_of_the_loan,
            checks.approver_independent,
            checks.extension_approver_authority,
            checks.extension_awaiting_approval,
            checks.extension_before_maturity,
            checks.extension_not_in_arrears,
            checks.extension_within_limits,
            checks.extension_note_given,
        ],
        perform="loans.services.extensions.extension_approve",
    ),
    action(
        "extension_decline",
        label=_("Decline the extension"),
        states=[S.POST_LOAN],
        roles=REVIEWER | APPROVER,
        checks=[
            checks.extension_of_the_loan,
            checks.extension_awaiting_decision,
            checks.extension_decider_independent,
            checks.extension_note_given,
        ],
        perform="loans.services.extensions.extension_decline",
    ),
    action(
        "loan_reassign",
        label=_("Reassign to another account manager"),
        states=OPEN_STATES,
        roles=HEAD,
        checks=[checks.manager_eligible],
        perform="loans.services.applications.loan_reassign",
    ),
    action(
        "delegate_assign",
        label=_("Name a delegate for the account manager"),
        states=OPEN_STATES,
        roles=HEAD,
        checks=[checks.delegate_eligible],
        perform="loans.services.applications.delegate_assign",
    ),
    action(
        "delegate_revoke",
        label=_("Revoke a delegate"),
        states=OPEN_STATES,
        roles=HEAD,
        checks=[checks.delegation_active],
        perform="loans.services.applications.delegate_revoke",
    ),
    action(
        "exception_request",
        label=_("Request a policy exception"),
        states=[S.SITE_VISIT, S.REVIEW],
        roles=MANAGER | REVIEWER,
        checks=[
            checks.works_on_the_loan,
            exceptions.exception_requestable,
            exceptions.exception_reason_given,
        ],
        perform=exceptions.exception_request,
    ),
    action(
        "exception_grant",
        label=_("Grant a policy exception"),
        states=[S.SITE_VISIT, S.REVIEW],
        roles=HEAD,
        checks=[exceptions.exception_request_pending, exceptions.decision_note_given],
        perform=exceptions.exception_grant,
    ),
    action(
        "exception_decline",
        label=_("Decline a policy exception"),
        states=[S.SITE_VISIT, S.REVIEW],
        roles=HEAD,
        checks=[exceptions.exception_request_pending, exceptions.decision_note_given],
        perform=exceptions.exception_decline,
    ),
    # --- the comment thread: anyone who sees the loan writes to its file, in any stage ---------
    action(
        "comment_post",
        label=_("Comment on the loan"),
        states=list(LoanState),
        roles=STAFF,
        checks=[checks.comment_written, checks.mention_sees_the_loan],
        perform="loans.services.comments.comment_post",
    ),
    action(
        "personal_data_reveal",
        label=_("Show a full personal value"),
        states=OPEN_STATES,
        roles=MANAGER | OFFICER,
        checks=[checks.reveal_named, checks.needs_personal_data],
        perform="loans.services.personal_data.personal_data_reveal",
    ),
)


class LoanProcess(Process):
    """How the engine works loans: roles from staff groups, scope from the loan's branch."""

    name = "loan"
    initial = S.INTAKE
    terminal = TERMINAL_STATES
    exception_roles = HEAD
    compliance_roles = frozenset({Role.COMPLIANCE_OFFICER})
    actions = ACTIONS
    event_labels = {
        "application_opened": _("Application opened"),
        "classified": _("Risk class changed"),
    }

    def roles_of(self, actor: Any) -> frozenset[str]:
        if actor is None:  # the system's own step (days past due, the classification floor)
            return SYSTEM
        return actor.roles  # type: ignore[no-any-return]

    def locked_read(
        self,
        queryset: models.QuerySet[Any],
        now: datetime,
        reads: frozenset[str] | None = None,
    ) -> models.QuerySet[Any]:
        # The borrower (identity, blocked list), product (limits), branch (scope) and account
        # manager (ownership) come with the locked loan; their rows are read, not locked.
        from loans.checks.facts import file_fact_expressions
        from loans.policy import in_force_with_calendar

        # The facts of the file the step reads and those of the audit snapshot, the policy in
        # force and the calendar ahead come with the lock too (one statement).
        related = queryset.select_related("borrower", "product", "branch", "account_manager")
        facts = {**file_fact_expressions(reads), **in_force_with_calendar(now)}
        annotated: models.QuerySet[Any] = related.annotate(**facts)
        return annotated

    def sweep_read(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.select_related("branch", "account_manager")

    def unlocked(self, obj: Any) -> None:
        for name in ("policy_in_force", "holidays_from", "holidays_ahead", ENTERED_PLAN):
            obj.__dict__.pop(name, None)
        self.file_changed(obj)

    def file_changed(self, obj: Any) -> None:
        from loans.checks.facts import forget

        forget(obj)

    def acting_role(self, obj: Any, held: list[str]) -> str:
        own = STAGE_ROLE.get(obj.state)
        return own if own in held else held[0]

    def can_access(self, actor: Any, obj: Any) -> bool:
        if actor is None:  # the system works every branch's loans
            return True
        return obj.branch_id in actor.visible_branch_ids

    def scope_of(self, obj: Any) -> str:
        return obj.branch.code  # type: ignore[no-any-return]

    def on_entered(self, obj: Any, state: str, now: datetime) -> None:
        from loans.schedule import stage_plan

        obj.state_entered_at = now
        # The due date the stage timer started with the step will carry (timer_plans), kept on
        # the loan so the queue pages by it along an index; none after the stages with an SLA.
        if state in STAGE_SLA:
            plan = stage_plan(obj, LoanState(state), now)
            obj.__dict__[ENTERED_PLAN] = (state, now, plan)  # for timer_plans, same step
            obj.stage_due_at = plan.due_at
        else:
            obj.stage_due_at = NO_DEADLINE
        if state == S.POST_LOAN and obj.disbursed_at is None:
            obj.disbursed_at = now

    def timer_plans(self, obj: Any, state: str, now: datetime) -> list[Any]:
        from loans.schedule import inspection_plan, stage_plan

        if state in STAGE_SLA:
            entered = obj.__dict__.pop(ENTERED_PLAN, None)
            if entered is not None and entered[:2] == (state, now):
                return [entered[2]]
            return [stage_plan(obj, LoanState(state), now)]
        if state == S.POST_LOAN:
            return [inspection_plan(obj)]
        return []

    def reminder_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.schedule import owners

        sla = STAGE_SLA.get(LoanState(timer.stage)) if timer.stage in STAGE_SLA else None
        if sla is None or not sla.owners:
            return [obj.account_manager]
        # The staff owing a stage are the same for every loan of the branch: read once a sweep.
        return reads.once(
            ("loans.owners", obj.branch_id, timer.stage), lambda: owners(obj, timer.stage)
        )

    def escalation_recipients(self, obj: Any, timer: Any) -> list[Any]:
        from loans.selectors import branch_heads_of

        return reads.once(("loans.heads", obj.branch_id), lambda: branch_heads_of(obj))

    def integrity_recipients(self, obj: Any) -> list[Any]:
        from loans.selectors import overseers_of

        return overseers_of(obj)

    def snapshot(self, obj: Any) -> dict[str, Any]:
        from loans.selectors import loan_snapshot

        return loan_snapshot(obj)

    def snapshots(self, objs: list[Any]) -> list[dict[str, Any]]:
        # The facts of every loan in one statement; they stay on the loans, fresh, until the
        # next write to their files (file_changed).
        from loans.checks.facts import read_for
        from loans.selectors import loan_snapshot

        read_for(objs)
        return [loan_snapshot(obj) for obj in objs]

    def policy_for(self, obj: Any) -> Any:
        from loans.policy import current_policy, share_locked_policy

        share_locked_policy(obj)
        return current_policy()

    def deviation_url(self, deviation_id: int) -> str | None:
        from django.urls import reverse

        return reverse("loans:deviation", args=[deviation_id])
