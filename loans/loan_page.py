"""The loan page as a case file: where the loan stands (a stage stepper, who acts next, the SLA
clock), the steps open to the person reading it apart from other roles' steps, every record in
words (loans/case_file.py), and the actions on the loan that are neither a record nor a step
(editing the application, reassigning, delegating, confirming an upgrade of the risk class), each
offered only when the engine would allow it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.action_forms import TARGETS, comment_form
from loans.case_file import person, record_cards
from loans.forms import TransitionForm
from loans.models import Extension, Inspection, Loan
from loans.records import RECORDS, addable
from loans.roles import Role
from loans.selectors import (
    SlaStatus,
    audit_trail_of,
    describe_requests,
    deviations_of,
    exception_requests_of,
    extensions_of,
)
from loans.states import TERMINAL_STATES, LoanState
from loans.timeline import refused_attempts, timeline
from loans.workflow import STAGE_ROLE
from workflow.actions import action_options, decide_action
from workflow.engine import TransitionOption, preflight
from workflow.models import Timer
from workflow.registry import process_for

# Actions on the loan as a whole, offered as links to their form.
GENERAL_ACTIONS = (
    "application_edit",
    "loan_renew",
    "extension_request",
    "loan_reassign",
    "delegate_assign",
    "overdue_mark_technical",
    "restructuring_record",
)


@dataclass(frozen=True)
class Offer:
    label: Any
    url: str
    about: Any = None  # the record it acts on, if any


def general_offers(loan: Loan, user: Any) -> list[Offer]:
    options = action_options(loan, actor=user, names=set(GENERAL_ACTIONS))
    return [
        Offer(option.label, reverse("loans:action", args=[loan.pk, option.name]))
        for option in sorted(options, key=lambda o: GENERAL_ACTIONS.index(o.name))
        if option.allowed
    ]


def record_offers(loan: Loan, user: Any, name: str, records: Any) -> list[Offer]:
    """Action ``name`` on each of ``records`` that ``user`` may perform on it now."""
    offers = []
    for record in records:
        decision = decide_action(loan, name, actor=user, payload={TARGETS[name][1]: record})
        if decision.refusal is None:
            url = reverse("loans:record-action", args=[loan.pk, name, record.pk])
            offers.append(Offer(decision.spec.label if decision.spec else name, url, record))
    return offers


def awaiting_upgrade(loan: Loan) -> list[Inspection]:
    """Inspections proposing a better class than the loan's, not confirmed yet."""
    pending = loan.inspections.filter(
        proposed_class__lt=loan.risk_class, upgrade_confirmed_at__isnull=True
    )
    return list(pending)


# What a reviewer or approver may do on a pending extension, in the order offered.
EXTENSION_STEPS = (
    "extension_review",
    "extension_endorse",
    "extension_approve",
    "extension_decline",
)


def extension_offers(loan: Loan, user: Any, extensions: list[Extension]) -> list[Offer]:
    """The steps ``user`` may take now on the loan's pending extension (none for the others)."""
    pending = [extension for extension in extensions if extension.pending]
    if not pending or not (user.has_role(Role.REVIEWER) or user.has_role(Role.APPROVER)):
        return []
    return [offer for name in EXTENSION_STEPS for offer in record_offers(loan, user, name, pending)]


def loan_page_offers(loan: Loan, user: Any) -> dict[str, Any]:
    delegations = list(loan.delegations.filter(revoked_at__isnull=True).select_related("delegate"))
    upgrades = awaiting_upgrade(loan)
    extensions = extensions_of(loan)
    latest_visit = list(loan.site_visits.all()[:1])
    return {
        "general_offers": general_offers(loan, user),
        "delegations": delegations,
        "revoke_offers": record_offers(loan, user, "delegate_revoke", delegations),
        # The visit shown on the page, when this person is its co-investigator and it awaits them.
        "confirm_visit": bool(record_offers(loan, user, "site_visit_confirm", latest_visit)),
        "visit_to_confirm": latest_visit[0] if latest_visit else None,
        "upgrades": upgrades,
        "upgrade_offers": record_offers(loan, user, "classification_upgrade_confirm", upgrades),
        # A Reveal button by each masked personal fact, for the people who need the full value.
        "may_reveal": decide_action(loan, "personal_data_reveal", actor=user).refusal is None,
        # A renewal and the loan it renews link to each other.
        "renewal_of": loan.renewal_of,
        "renewed_by": list(loan.renewals.all()),
        # Its extensions (展期), and the reviewer's or approver's steps on the pending one.
        "extensions": extensions,
        "extension_offers": extension_offers(loan, user, extensions),
    }


# --- the loan page as a case file ---------------------------------------------------------------

# The stages of the happy path, in order, as the stepper shows them; the endings beside them.
STAGES = (
    LoanState.INTAKE,
    LoanState.SITE_VISIT,
    LoanState.REVIEW,
    LoanState.APPROVAL,
    LoanState.DISBURSEMENT,
    LoanState.POST_LOAN,
    LoanState.CLOSED,
)
ENDINGS = frozenset({LoanState.REJECTED, LoanState.WITHDRAWN})
# Steps that end or undo the work: shown apart, in red, behind a confirmation.
DESTRUCTIVE = frozenset({"reject", "withdraw"})


@dataclass(frozen=True)
class Stage:
    state: str
    label: Any
    status: str  # done, current, upcoming, ended (where a rejected or withdrawn loan stopped)


@dataclass(frozen=True)
class Stepper:
    stages: list[Stage]
    ending: Any  # "rejected" / "withdrawn" in words, when the loan ended so
    returned_from: Any  # the stage it was last returned from, when its last move was a return
    return_note: str


def stepper(loan: Loan, rows: list[Any]) -> Stepper:
    """Where the loan stands on its way, from its state and its timeline's moves."""
    moves = [row for row in rows if row.event.source_state != row.event.target_state]
    last = moves[-1] if moves else None
    here = loan.state
    if here in ENDINGS and last is not None and last.event.source_state in STAGES:
        here = last.event.source_state
    position = STAGES.index(here) if here in STAGES else 0
    stages = []
    for index, state in enumerate(STAGES):
        if index < position or loan.state == LoanState.CLOSED:
            status = "done"
        elif index == position:
            status = "ended" if loan.state in ENDINGS else "current"
        else:
            status = "upcoming"
        stages.append(Stage(state.value, state.label, status))
    returned = (
        last is not None
        and last.event.source_state in STAGES
        and last.event.target_state in STAGES
        and STAGES.index(last.event.target_state) < STAGES.index(last.event.source_state)
    )
    return Stepper(
        stages=stages,
        ending=LoanState(loan.state).label if loan.state in ENDINGS else None,
        returned_from=LoanState(last.event.source_state).label if returned and last else None,
        return_note=last.note if returned and last else "",
    )


@dataclass(frozen=True)
class NextActor:
    role: Any
    person: str  # a named person where one is known, else ""
    task: Any = ""


def next_actor(loan: Loan, cards: list[Any]) -> NextActor | None:
    """Who acts next: the stage's role, and the person where the file names one (the account
    manager of their own loan, a co-investigator awaiting confirmation, the reviewer who wrote
    the review, the officer who recorded the contract)."""
    role = STAGE_ROLE.get(loan.state)
    if role is None:
        return None
    by_name = {card.name: card for card in cards}

    def live(name: str) -> list[Any]:
        return [v for v in by_name[name].records if not v.cancelled]

    if loan.state == LoanState.SITE_VISIT:
        waiting = [
            v.record
            for v in live("site_visit")
            if v.record.co_investigator_id and not v.record.co_investigator_confirmed_at
        ]
        if waiting:
            return NextActor(
                Role.ACCOUNT_MANAGER.label,
                person(waiting[-1].co_investigator),
                _("confirm the site visit as co-investigator"),
            )
    if loan.state in {LoanState.INTAKE, LoanState.SITE_VISIT, LoanState.POST_LOAN}:
        return NextActor(Role(role).label, person(loan.account_manager))
    if loan.state == LoanState.REVIEW and live("review"):
        return NextActor(Role(role).label, person(live("review")[-1].record.reviewer))
    if loan.state == LoanState.DISBURSEMENT and by_name["contract"].records:
        return NextActor(Role(role).label, person(by_name["contract"].records[-1].recorded_by))
    return NextActor(Role(role).label, "")


@dataclass(frozen=True)
class Clock:
    """The stage's SLA: its status (for ``_sla.html``) and when it falls due."""

    sla_status: str | None
    due_at: Any


def sla_clock(loan: Loan, now: Any) -> Clock | None:
    timer = (
        Timer.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id=loan.pk,
            kind=Timer.Kind.STAGE,
            stopped_at__isnull=True,
        )
        .order_by("-started_at")
        .first()
    )
    if timer is None:
        return None
    if timer.due_at < now:
        status = SlaStatus.OVERDUE
    elif timer.remind_at is not None and timer.remind_at <= now:
        status = SlaStatus.DUE_SOON
    else:
        status = SlaStatus.ON_TIME
    return Clock(status, timer.due_at)


# The checks that ask a reason code with the step.
REASON_CHECKS = frozenset({"reason_given", "reason_chosen"})


@dataclass(frozen=True)
class StepView:
    """A transition as the loan page offers it."""

    option: TransitionOption
    destructive: bool
    asks_reason: bool
    asks_conditions: bool
    asks_opinion: bool  # the reviewer's or approver's written opinion, kept with the decision
    performers: str  # the roles that perform it, in words (for another role's steps)

    @property
    def ready(self) -> bool:
        return self.option.allowed or self.option.awaiting_input


def step_views(loan: Loan, options: list[TransitionOption]) -> list[StepView]:
    definition = process_for(loan).definition
    views = []
    for option in options:
        spec = definition.get(option.name, loan.state)
        roles = sorted(spec.step.roles) if spec and spec.step else []
        views.append(
            StepView(
                option=option,
                destructive=option.name in DESTRUCTIVE,
                asks_reason=any(r.code in REASON_CHECKS for r in option.checks),
                asks_conditions=any(r.code == "approval_conditions_stated" for r in option.checks),
                asks_opinion=any(r.code == "opinion_written" for r in option.checks),
                performers=", ".join(str(Role(r).label) for r in roles if r in Role.values),
            )
        )
    return views


def case_file(loan: Loan, user: Any) -> dict[str, Any]:
    """Everything the loan page shows, read in a number of statements that does not grow with
    the file: the stepper, who acts next and the SLA clock; the user's own steps apart from
    other roles'; every record in words; the timeline and the refused attempts."""
    options = preflight(loan, actor=user)
    definition = process_for(loan).definition
    rows = timeline(audit_trail_of(loan), definition)
    cards = record_cards(loan, [row.event for row in rows])
    steps = step_views(loan, options)
    mine = [s for s in steps if s.option.role_allowed]
    return {
        "loan": loan,
        "options": options,
        "stepper": stepper(loan, rows),
        "next_actor": next_actor(loan, cards),
        "clock": sla_clock(loan, timezone.now()),
        "my_steps": [s for s in mine if not s.destructive],
        "my_destructive_steps": [s for s in mine if s.destructive],
        "other_steps": [s for s in steps if not s.option.role_allowed],
        "cards": cards,
        # The kinds whose records this person may try to correct or cancel (the engine judges
        # each attempt: their author in its stage, the branch head afterwards).
        "correctable_kinds": _correctable_kinds(loan, user),
        "events": rows,
        "deviations": refused_attempts(
            deviations_of(loan).select_related("actor")[:50], definition
        ),
        "exception_requests": describe_requests(exception_requests_of(loan)),
        "may_decide_exceptions": any(
            option.allowed for option in action_options(loan, actor=user, names={"exception_grant"})
        ),
        "may_upload_photos": loan.state == LoanState.SITE_VISIT
        and decide_action(loan, "document_upload", actor=user).refusal is None,
        "form": TransitionForm(),
        # The comment thread, oldest first, in one statement whatever its length.
        "comments": list(loan.comments.select_related("author", "mentioned")),
        "comment_form": comment_form(loan),
        "addable": addable(user, loan),
        "conditions": loan.approval_conditions.all(),
        "contract": getattr(loan, "contract", None),
        "officer_checklist": loan.state == LoanState.DISBURSEMENT
        and user.has_role(Role.DISBURSEMENT_OFFICER),
        "awaiting_input": {o.name for o in options if o.awaiting_input},
        # One token per page view: submitting the same form twice performs its step once.
        "token": uuid.uuid4().hex,
        **loan_page_offers(loan, user),
    }


def _correctable_kinds(loan: Loan, user: Any) -> set[str]:
    if loan.state in TERMINAL_STATES:
        return set()
    return {kind.name for kind in RECORDS if user.roles & (kind.roles | {Role.BRANCH_HEAD})}
