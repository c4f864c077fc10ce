"""The authorisation matrix, generated from the process definition (loans/workflow.py).

Every transition and action × every role × every state × own branch / other branch × owner /
non-owner: exactly the declared cells are authorised; every other cell is refused as the model
predicts. Zero unexpected successes.

- The engine decides every cell (53 steps × 9 states × 17 people). Refused cells are performed,
  each refusal once per what it depends on (see ``cells_to_perform``), and each must record
  exactly one deviation of its kind.
- The API is sent every step by every role, in one state where the step is declared and one
  where it is not: a refusal answers 403 or 409 naming its deviation; a person of another branch
  gets a 404 and leaves no deviation.

"Authorised" means the gate passes: scope, state, role and person (ownership, separation of
duties, authority). Whether the file is complete is data: an authorised cell may still be refused
for failed checks (``checks_failed``) or answer an input error, but never ``wrong_state``,
``wrong_role``, ``wrong_person`` or ``out_of_scope``.

The expected cells are read from the definition: each TransitionSpec's source and roles, each
Action's states and roles, and the checks of kind ``person`` each declares. Every person check is
modelled in ``PERSON_RULES`` from who the people below are, not by running it; a person check the
model does not know fails ``test_every_person_check_of_the_process_is_modelled``. Ownership is
also held up on its own: an account manager's step on a loan is its account manager's or an
active delegate's, whether the step declares the check or not (``owners_step``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from loans.action_forms import TARGETS
from loans.api.errors import FORBIDDEN_REFUSALS
from loans.choices import GuaranteeType, InspectionKind, InspectionMode, ReturnReason
from loans.journeys import EVIDENCE_PHOTO, HAPPY_PATH, Cast, act, advance
from loans.models import Extension, Loan, PolicyVersion, User
from loans.policy import policy_in_force
from loans.reveal import REVEAL
from loans.roles import Capacity, Role
from loans.states import LoanState
from loans.workflow import RECORD_BY_NAME, RECORDS
from tests import factories
from tests.api.test_api import api
from workflow.actions import decide_action, perform_action
from workflow.checks import Check, CheckKind
from workflow.deviations import Decision
from workflow.engine import TransitionRefused, decide, perform_transition
from workflow.models import AuditEvent, Deviation
from workflow.registry import process_for

pytestmark = pytest.mark.django_db

DEFINITION = process_for(Loan).definition
TRANSITIONS = sorted(DEFINITION.names())
# A core-banking file's rows are applied only by its import (one file, all or nothing: the upload
# page and the command, tests/integration/test_core_feed.py); the API offers no such action.
IMPORT_ONLY = {"core_feed_apply"}
ACTIONS = [declared.name for declared in DEFINITION.actions]
STEPS = [*TRANSITIONS, *ACTIONS]
API_STEPS = [step for step in STEPS if step not in IMPORT_ONLY]
STATES = [LoanState(state) for state in DEFINITION.states]

AUTHORISED = "authorised"
GATE_REFUSALS = frozenset(
    {
        Deviation.Kind.WRONG_STATE,
        Deviation.Kind.WRONG_ROLE,
        Deviation.Kind.WRONG_PERSON,
        Deviation.Kind.OUT_OF_SCOPE,
    }
)


# --- the people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A member of staff holding exactly one role, and their relation to every loan below."""

    name: str
    role: Role
    other_branch: bool = False
    authority_level: int | None = None

    @property
    def username(self) -> str:
        return self.name.replace("@", "-at-")


OWN_BRANCH = (
    Persona("owner", Role.ACCOUNT_MANAGER),  # the account manager of every loan
    Persona("delegate", Role.ACCOUNT_MANAGER),  # named delegate on every loan by the branch head
    Persona("co_investigator", Role.ACCOUNT_MANAGER),  # named co-investigator on every site visit
    Persona("bystander", Role.ACCOUNT_MANAGER),  # an account manager with no part in any loan
    Persona("reviewer", Role.REVIEWER),
    Persona("approver", Role.APPROVER, authority_level=3),
    Persona("officer", Role.DISBURSEMENT_OFFICER),
    Persona("compliance", Role.COMPLIANCE_OFFICER),
    Persona("head", Role.BRANCH_HEAD),
    Persona("administrator", Role.ADMINISTRATOR),
)
OTHER_BRANCH = tuple(
    Persona(
        f"{role.value}@B02",
        role,
        other_branch=True,
        authority_level=3 if role == Role.APPROVER else None,
    )
    for role in Role
)
PERSONAS = (*OWN_BRANCH, *OTHER_BRANCH)

# Who made each kind of record in the loans below: whoever holds the role that adds it.
AUTHOR_OF = {
    kind.name: {
        Role.ACCOUNT_MANAGER: "owner",
        Role.REVIEWER: "reviewer",
        Role.DISBURSEMENT_OFFICER: "officer",
    }[Role(next(iter(kind.roles)))]
    for kind in RECORDS
}

# The part each person has played in the loan built for a state (loans.journeys.advance and
# ``build_world``), and the first state whose loan shows it. Only open states are ever asked.
PARTS: dict[str, tuple[Capacity, LoanState]] = {
    "owner": (Capacity.ACCOUNT_MANAGER, LoanState.INTAKE),
    "co_investigator": (Capacity.INVESTIGATOR, LoanState.SITE_VISIT),
    "reviewer": (Capacity.REVIEWER, LoanState.APPROVAL),
    "approver": (Capacity.APPROVER, LoanState.DISBURSEMENT),
    "officer": (Capacity.DISBURSEMENT_OFFICER, LoanState.POST_LOAN),
}


# --- the cells and what the definition declares for them -----------------------------------------


@dataclass(frozen=True)
class Cell:
    step: str  # a transition or an action
    state: LoanState
    persona: Persona

    def __str__(self) -> str:
        return f"{self.step} in {self.state} by {self.persona.name}"


@dataclass(frozen=True)
class Gate:
    """Who the definition lets take one step in one state."""

    roles: frozenset[str]
    person_checks: tuple[Check, ...]


def gate(step: str, state: str) -> Gate | None:
    """The declared gate of ``step`` in ``state``; None where the step is not open."""
    if step in DEFINITION.names():
        spec = DEFINITION.get(step, state)
        if spec is None:
            return None
        assert spec.step is not None
        roles, checks = spec.step.roles, spec.step.checks
    else:
        declared = DEFINITION.action(step)
        assert declared is not None
        if state not in declared.states:
            return None
        roles, checks = declared.roles, declared.checks
    return Gate(roles, tuple(c for c in checks if c.kind == CheckKind.PERSON))


def all_cells() -> Iterator[Cell]:
    for step in STEPS:
        for state in STATES:
            for persona in PERSONAS:
                yield Cell(step, state, persona)


# --- the person checks, modelled ------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the person rules read besides the cell: the loans' amount and the policy."""

    amount: Decimal
    policy: PolicyVersion


PersonRule = Callable[[Cell, Facts], bool]


def parts(cell: Cell) -> set[Capacity]:
    played = PARTS.get(cell.persona.name)
    if played is None:
        return set()
    capacity, since = played
    return {capacity} if HAPPY_PATH.index(cell.state) >= HAPPY_PATH.index(since) else set()


def independent_of(*capacities: Capacity) -> PersonRule:
    """Separation of duties: the person played none of ``capacities`` in this loan."""
    return lambda cell, facts: not parts(cell) & set(capacities)


def loan_owner(cell: Cell, facts: Facts) -> bool:
    """Only the loan's account manager, or an account manager the branch head delegated."""
    return cell.persona.name in {"owner", "delegate"}


def approver_authority(cell: Cell, facts: Facts) -> bool:
    """The amount is within the approver's tier (the loans stay below the top tier)."""
    needed = facts.policy.required_authority(facts.amount)
    assert needed is not None
    return (cell.persona.authority_level or 0) >= needed


def pricing_authority(cell: Cell, facts: Facts) -> bool:
    """The loans are priced at their product's spread floor: no pricing authority is needed."""
    return True


def approver_authority_to_reject(cell: Cell, facts: Facts) -> bool:
    """Rejecting needs the tier approving needs (the top tier above it)."""
    needed = facts.policy.required_authority(facts.amount) or facts.policy.top_tier[1]
    return (cell.persona.authority_level or 0) >= needed


def endorsement_allowed(cell: Cell, facts: Facts) -> bool:
    """Endorsing is for a first top-level approver above the top tier: never for these loans."""
    ceiling, top = facts.policy.top_tier
    return facts.amount > ceiling and (cell.persona.authority_level or 0) >= top


def named_co_investigator(cell: Cell, facts: Facts) -> bool:
    """A site visit is confirmed by the co-investigator named on it, nobody else."""
    return cell.persona.name == "co_investigator"


def upgrade_confirmer_independent(cell: Cell, facts: Facts) -> bool:
    """An upgrade is confirmed by neither the inspector nor the loan's account manager (the
    owner inspected)."""
    return cell.persona.name != "owner"


def correction_allowed(cell: Cell, facts: Facts) -> bool:
    """Within the record's own stages its author corrects or cancels it; in any other stage the
    branch head does."""
    kind = RECORD_BY_NAME[cell.step.rpartition("_")[0]]
    if cell.state in kind.states:
        return cell.persona.name == AUTHOR_OF[kind.name]
    return cell.persona.role == Role.BRANCH_HEAD


def works_on_the_loan(cell: Cell, facts: Facts) -> bool:
    """An exception is requested by whoever the stage's step stops: at the site visit the loan's
    account manager (or delegate), in review a reviewer who neither sold nor investigated it."""
    if cell.state == LoanState.REVIEW:
        reviewer = cell.persona.role == Role.REVIEWER
        return reviewer and independent_of(Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR)(
            cell, facts
        )
    return loan_owner(cell, facts)


def needs_personal_data(cell: Cell, facts: Facts) -> bool:
    """A full personal value is for the loan's account manager (or delegate), and for a
    disbursement officer not involved earlier while the loan is paid out and repaid."""
    if loan_owner(cell, facts):
        return True
    paying = cell.state in {LoanState.DISBURSEMENT, LoanState.POST_LOAN}
    return (
        cell.persona.role == Role.DISBURSEMENT_OFFICER
        and paying
        and independent_of(
            Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR, Capacity.REVIEWER, Capacity.APPROVER
        )(cell, facts)
    )


def extension_decider_independent(cell: Cell, facts: Facts) -> bool:
    """The pending extension of these loans awaits review: a reviewer who neither sold nor
    investigated the loan declines it (an approver declines only after review)."""
    return cell.persona.role == Role.REVIEWER and independent_of(
        Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR
    )(cell, facts)


# Every check of kind "person" in the process (the only checks that refuse as wrong_person).
PERSON_RULES: dict[str, PersonRule] = {
    "loan_owner": loan_owner,
    "reviewer_independent": independent_of(Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR),
    "approver_independent": independent_of(
        Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR, Capacity.REVIEWER
    ),
    "disbursement_officer_independent": independent_of(
        Capacity.ACCOUNT_MANAGER, Capacity.INVESTIGATOR, Capacity.REVIEWER, Capacity.APPROVER
    ),
    "approver_authority": approver_authority,
    "approver_authority_to_reject": approver_authority_to_reject,
    "pricing_authority": pricing_authority,
    "endorsement_allowed": endorsement_allowed,
    # An extension needs the loan's own authority (these loans: below the top tier, no
    # endorsement), and is declined by the person whose turn it is.
    "extension_approver_authority": approver_authority,
    "extension_endorsement_allowed": endorsement_allowed,
    "extension_decider_independent": extension_decider_independent,
    "named_co_investigator": named_co_investigator,
    "upgrade_confirmer_independent": upgrade_confirmer_independent,
    "correction_allowed": correction_allowed,
    "works_on_the_loan": works_on_the_loan,
    "needs_personal_data": needs_personal_data,
}


# Beside the checks it declares, one rule of the lending policy is held up independently: the
# steps of an account manager on a loan are the loan's account manager's (or an active
# delegate's), so a step declared without its ownership check shows as unexpected successes.
# The exceptions: another account manager, the co-investigator named on the visit, confirms
# it (named_co_investigator); anyone who sees the loan comments on it.
NOT_THE_OWNERS = frozenset({"site_visit_confirm", "comment_post"})


def owners_step(cell: Cell, declared: Gate) -> bool:
    return (
        cell.persona.role == Role.ACCOUNT_MANAGER
        and Role.ACCOUNT_MANAGER in declared.roles
        and cell.step not in NOT_THE_OWNERS
    )


def expected(cell: Cell, facts: Facts) -> str:
    """``AUTHORISED``, or the refusal the engine must give: not here, not now, not you."""
    if cell.persona.other_branch:
        return Deviation.Kind.OUT_OF_SCOPE
    declared = gate(cell.step, cell.state)
    if declared is None:
        return Deviation.Kind.WRONG_STATE
    if cell.persona.role not in declared.roles:
        return Deviation.Kind.WRONG_ROLE
    if not all(PERSON_RULES[check.code](cell, facts) for check in declared.person_checks):
        return Deviation.Kind.WRONG_PERSON
    if owners_step(cell, declared) and not loan_owner(cell, facts):
        return Deviation.Kind.WRONG_PERSON
    return AUTHORISED


def test_every_person_check_of_the_process_is_modelled() -> None:
    declared = {
        check.code
        for step in STEPS
        for state in STATES
        if (found := gate(step, state)) is not None
        for check in found.person_checks
    }

    assert declared - set(PERSON_RULES) == set(), "model these person checks in PERSON_RULES"
    assert set(PERSON_RULES) - declared == set(), "these modelled person checks are gone"


def problem(want: str, refusal: str | None) -> str | None:
    """What is wrong with a refusal (None: the gate answered as declared)."""
    if want == AUTHORISED:
        return "refused but declared" if refusal in GATE_REFUSALS else None
    if refusal not in GATE_REFUSALS:
        return "UNEXPECTED SUCCESS"
    return None if refusal == want else "refused as another kind"


def listing(problems: list[str]) -> str:
    return f"{len(problems)} cells differ from the definition:\n" + "\n".join(problems)


# --- the loans ------------------------------------------------------------------------------------

RETURN = {"reason": ReturnReason.OTHER, "comment": "The borrower changed their plans."}
TRANSITION_PAYLOAD = {**RETURN, "conditions": []}
EXCEPTION_REASON = "The borrower's premises were visited; photos follow tomorrow."
EXTENSION_REASON = "The harvest came late; sales will repay by autumn."


@dataclass
class World:
    users: dict[str, User]
    loans: dict[LoanState, Loan]
    facts: Facts
    # (transition, state, persona) whose last event is that person performing that transition
    # into that state: the engine answers a repeat with the state reached, no deviation.
    repeats: frozenset[tuple[str, LoanState, str]]
    targets: dict[tuple[str, LoanState], dict[str, Any]]

    def actor(self, cell: Cell) -> User:
        return self.users[cell.persona.name]

    def payload(self, cell: Cell) -> dict[str, Any]:
        if cell.step in DEFINITION.names():
            return dict(TRANSITION_PAYLOAD)
        return dict(self.targets[cell.step, cell.state])


def build_loan(state: LoanState, users: dict[str, User], cast: Cast) -> Loan:
    """A loan in ``state``, walked there through the engine, with a delegate named from intake
    and (past intake) an exception requested at the site visit; in the site visit, a visit
    awaiting its co-investigator; in post-loan, an inspection and a repayment; a guarantor from
    intake. So every action
    that names a record finds one of its own loan in a state where it is declared."""
    loan = factories.LoanFactory(
        account_manager=users["owner"],
        product=factories.LoanProductFactory(),
        guarantee_type=GuaranteeType.MORTGAGE,  # a collateral valuation too
    )
    act(loan, "delegate_assign", users["head"], delegate=users["delegate"])
    act(
        loan,
        "guarantor_record",
        users["owner"],
        kind="person",
        name="Zhou Jianguo",
        id_number="11010519491231002X",
        amount=Decimal(80_000),
        signed_on=timezone.localdate(),
    )
    if state in {LoanState.INTAKE, LoanState.WITHDRAWN}:
        if state == LoanState.WITHDRAWN:
            loan = perform_transition(loan, "withdraw", actor=users["owner"], payload=RETURN)
        return loan
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    act(
        loan,
        "exception_request",
        users["owner"],
        transition="submit_for_review",
        check_code="evidence_collected",
        reason=EXCEPTION_REASON,
    )
    if state == LoanState.SITE_VISIT:
        act(
            loan,
            "site_visit_record",
            users["owner"],
            co_investigator=users["co_investigator"],
            visited_at=timezone.now(),
            location="The borrower's shop",
            business="Open and trading.",
        )
    elif state == LoanState.REJECTED:
        loan = advance(loan, LoanState.REVIEW, cast)
        loan = perform_transition(loan, "reject", actor=users["reviewer"], payload=RETURN)
    else:
        loan = advance(loan, state, cast)
    if state == LoanState.POST_LOAN:
        act(
            loan,
            "inspection_record",
            users["owner"],
            kind=InspectionKind.FIRST,
            mode=InspectionMode.ON_SITE,
            inspected_at=timezone.now(),
            findings="Funds used to buy stock as stated.",
            funds_used_as_stated=True,
        )
        act(loan, "repayment_record", users["officer"], principal=Decimal(1000))
        act(loan, "extension_request", users["owner"], months=3, reason=EXTENSION_REASON)
    if state == LoanState.CLOSED:  # an extension awaiting review, as a record to name elsewhere
        Extension.objects.create(
            loan=loan,
            months=3,
            reason=EXTENSION_REASON,
            maturity_before=timezone.localdate(),
            maturity_after=timezone.localdate(),
            requested_by=users["owner"],
            requested_at=timezone.now(),
        )
    return Loan.objects.get(pk=loan.pk)


def last_transition(loan: Loan) -> tuple[str, int] | None:
    last = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
        )
        .order_by("-seq")
        .first()
    )
    if last is None or last.kind != AuditEvent.Kind.TRANSITIONED or last.actor_id is None:
        return None
    return last.action, last.actor_id


def targets_of(loans: dict[LoanState, Loan]) -> dict[tuple[str, LoanState], dict[str, Any]]:
    """The record each action names, per state: the loan's own (its first), else the one of the
    complete file (the closed loan). The gate reads only who made it and who is named on it;
    whose loan it is, an input check judges."""
    complete = loans[LoanState.CLOSED]
    found: dict[tuple[str, LoanState], dict[str, Any]] = {}
    for step in ACTIONS:
        for state, loan in loans.items():
            if step == REVEAL:
                found[step, state] = {"field": "id_number"}
                continue
            if step not in TARGETS:
                found[step, state] = {}
                continue
            choices, key = TARGETS[step]
            record = (
                choices(loan).order_by("pk").first() or choices(complete).order_by("pk").first()
            )
            assert record is not None, f"the complete file has no record for {step}"
            found[step, state] = {key: record}
    return found


@pytest.fixture
def world() -> World:
    branch = factories.BranchFactory(code="B01", name="County Sub-branch")
    other = factories.BranchFactory(code="B02", name="Town Sub-branch")
    users = {
        persona.name: factories.staff(
            persona.role,
            branch=other if persona.other_branch else branch,
            username=persona.username,
            authority_level=persona.authority_level,
        )
        for persona in PERSONAS
    }
    cast = Cast(
        manager=users["owner"],
        co_investigator=users["co_investigator"],
        reviewer=users["reviewer"],
        approver=users["approver"],
        officer=users["officer"],
    )
    loans = {state: build_loan(state, users, cast) for state in STATES}
    assert {state: loan.state for state, loan in loans.items()} == {s: s for s in STATES}
    name_of = {user.pk: name for name, user in users.items()}
    repeats = frozenset(
        (last[0], state, name_of[last[1]])
        for state, loan in loans.items()
        if (last := last_transition(loan)) is not None
    )
    assert not Deviation.objects.exists()  # the loans were built without a single refusal
    amounts = {loan.amount for loan in loans.values()}
    assert len(amounts) == 1
    facts = Facts(amount=amounts.pop() or Decimal(0), policy=policy_in_force())
    fresh = {name: User.objects.get(pk=user.pk) for name, user in users.items()}
    return World(fresh, loans, facts, repeats, targets_of(loans))


# --- the engine -----------------------------------------------------------------------------------


def decision(world: World, cell: Cell) -> Decision:
    loan, actor, payload = world.loans[cell.state], world.actor(cell), world.payload(cell)
    if cell.step in DEFINITION.names():
        return decide(loan, cell.step, actor=actor, payload=payload)
    return decide_action(loan, cell.step, actor=actor, payload=payload)


def perform(world: World, cell: Cell) -> None:
    loan, actor, payload = world.loans[cell.state], world.actor(cell), world.payload(cell)
    if cell.step in DEFINITION.names():
        perform_transition(loan, cell.step, actor=actor, payload=payload)
    else:
        perform_action(loan, cell.step, actor=actor, data=payload)


def decision_problems(world: World) -> tuple[list[str], dict[str, int]]:
    """Decide every cell; the cells whose decision differs from the definition, and how many
    cells each verdict has."""
    problems = []
    tally = dict.fromkeys([AUTHORISED, *sorted(GATE_REFUSALS)], 0)
    for cell in all_cells():
        want = expected(cell, world.facts)
        tally[want] += 1
        found = decision(world, cell)
        if (wrong := problem(want, found.refusal)) is not None:
            problems.append(f"{wrong}: {cell}: declared {want}, engine {found.refusal or 'allows'}")
    return problems, tally


def depends_on(cell: Cell, want: str) -> str:
    """What a refusal depends on besides the step and the state: the person for wrong person,
    the role for wrong role; for wrong state, nothing (whoever asks)."""
    if want == Deviation.Kind.WRONG_PERSON:
        return cell.persona.name
    if want == Deviation.Kind.WRONG_ROLE:
        return cell.persona.role
    return ""


def cells_to_perform(facts: Facts) -> Iterator[tuple[Cell, str]]:
    """The refused cells to perform, with the refusal each must record (every cell's decision
    is checked besides).

    In every state, each step is performed once per refusal and what it depends on: by every
    person refused as the wrong person, one person of each role refused as the wrong role, one
    person refused as not now. Out of scope, once where the step is open and once where it is
    not. The person chosen changes from state to state.
    """
    for step in STEPS:
        done: set[tuple[Any, ...]] = set()
        for index, state in enumerate(STATES):
            for turn in range(len(PERSONAS)):
                cell = Cell(step, state, PERSONAS[(index + turn) % len(PERSONAS)])
                want = expected(cell, facts)
                if want == Deviation.Kind.OUT_OF_SCOPE:
                    key: tuple[Any, ...] = (want, gate(step, state) is None)
                else:
                    key = (want, state, depends_on(cell, want))
                if want == AUTHORISED or key in done:
                    continue
                done.add(key)
                yield cell, want


def performance_problems(world: World) -> tuple[list[str], dict[int, str]]:
    """Perform refused cells; the cells not refused as declared, and the deviations recorded
    (id: the refusal declared)."""
    problems = []
    refused: dict[int, str] = {}
    for cell, want in cells_to_perform(world.facts):
        try:
            perform(world, cell)
        except TransitionRefused as refusal:
            refused[refusal.deviation.pk] = want
            if refusal.kind != want:
                problems.append(f"{cell}: performed, refused as {refusal.kind}, declared {want}")
        except ValidationError as invalid:  # the gate let it through to judge the input
            problems.append(f"UNEXPECTED SUCCESS: {cell}: input judged: {invalid.messages}")
        else:
            # A repeat of the transition that led here answers with the state reached: no write,
            # no deviation (workflow.engine.just_performed). Nothing else may pass.
            if (cell.step, cell.state, cell.persona.name) not in world.repeats:
                problems.append(f"UNEXPECTED SUCCESS: {cell}: performed, declared {want}")
    return problems, refused


def test_the_engine_authorises_exactly_the_declared_cells(world: World) -> None:
    decided, tally = decision_problems(world)
    performed, refused = performance_problems(world)

    assert not decided + performed, listing(decided + performed)
    assert sum(tally.values()) == len(STEPS) * len(STATES) * len(PERSONAS)
    assert all(tally.values())
    # One deviation per refused attempt, of the kind declared; the loans did not move.
    assert dict(Deviation.objects.values_list("pk", "kind")) == refused
    assert {s: Loan.objects.get(pk=loan.pk).state for s, loan in world.loans.items()} == {
        s: s for s in STATES
    }


# --- the API --------------------------------------------------------------------------------------

ADDS = {kind.add: kind for kind in RECORDS}
TODAY = timezone.localtime().isoformat(timespec="seconds")
RECORD_BODIES: dict[str, dict[str, Any]] = {
    "interviews": {"held_at": TODAY, "location": "Branch", "notes": "Met."},
    "credit-authorisations": {
        "signed_at": TODAY,
        "written_consent": True,
        "purpose": "loan_application",
    },
    "site-visits": {"visited_at": TODAY, "location": "Shop", "business": "Open."},
    "collateral-valuations": {
        "description": "Shop",
        "value": "200000.00",
        "appraiser": "Co.",
        "valued_at": TODAY[:10],
    },
    "guarantors": {
        "kind": "person",
        "name": "Zhou Jianguo",
        "id_number": "11010519491231002X",
        "amount": "80000.00",
        "signed_on": TODAY[:10],
    },
    "credit-reports": {"result": "clean"},
    "reviews": {"monthly_income": "20000.00", "monthly_debt_payments": "6000.00", "opinion": "OK."},
    "drawdowns": {
        "amount": "80000.00",
        "method": "own_account",
        "direct_payment_ground": "business_use",
    },
    "inspections": {
        "kind": "first",
        "mode": "on_site",
        "inspected_at": TODAY,
        "findings": "Fine.",
        "funds_used_as_stated": True,
    },
    "repayments": {"principal": "1000.00", "paid_at": TODAY},
}
CORRECTION = "Typed from the wrong page of the file."


def action_body(step: str, users: dict[str, User]) -> dict[str, Any]:
    """What each action's form needs to be valid, so that the engine decides every request."""
    if step.endswith("_cancel"):
        return {"reason": CORRECTION}
    if step == "site_visit_correct":
        # Any valid value will do. The form offers as co-investigator every account manager but
        # the one submitting, so a named person would make some requests a form error.
        return {"reason": CORRECTION, "co_investigator": ""}
    if step.endswith("_correct"):
        return {"reason": CORRECTION}
    bodies: dict[str, dict[str, Any]] = {
        "condition_fulfil": {"fulfilment_note": "Signed in person."},
        "exception_request": {
            "transition": "submit_for_review",
            "check_code": "evidence_collected",
            "reason": EXCEPTION_REASON,
        },
        "exception_grant": {"note": "The branch knows this borrower's premises well."},
        "exception_decline": {"note": "Photos are required; wait for them to arrive."},
        "contract_record": {
            "number": "C-MATRIX-1",
            "signed_at": TODAY,
            "signed_face_to_face": True,
            "witness": users["owner"].pk,
        },
        "loan_reassign": {"account_manager": users["bystander"].pk},
        "delegate_assign": {"delegate": users["bystander"].pk},
        "days_past_due_update": {"days_past_due": 0},
        "overdue_mark_technical": {"reason": "The core system's batch failed that day."},
        "restructuring_record": {"restructured_at": TODAY, "reason": CORRECTION},
        "extension_request": {"months": 3, "reason": EXTENSION_REASON},
        "extension_review": {"opinion": CORRECTION},
        "extension_approve": {"note": CORRECTION},
        "extension_decline": {"note": CORRECTION},
    }
    return bodies.get(step, {})


def send(client: APIClient, world: World, step: str, state: LoanState) -> Any:
    loan = world.loans[state]
    url = f"/api/v1/loans/{loan.pk}/"
    if step in DEFINITION.names():
        return client.post(f"{url}transitions/{step}/", TRANSITION_PAYLOAD, format="json")
    if step == "application_edit":
        return client.patch(url, {"term_months": 18}, format="json")
    if step == REVEAL:
        return client.post(f"{url}reveal/", {"field": "id_number"}, format="json")
    if step in ADDS:
        path = ADDS[step].path
        if path == "documents":
            photo = SimpleUploadedFile("shop.jpg", EVIDENCE_PHOTO, content_type="image/jpeg")
            return client.post(f"{url}{path}/", {"kind": "photo", "file": photo})
        return client.post(f"{url}{path}/", RECORD_BODIES[path], format="json")
    body = action_body(step, world.users)
    if step in TARGETS:
        choices, _key = TARGETS[step]
        body["record"] = choices(loan).order_by("pk").first().pk
    return client.post(f"{url}actions/{step}/", body, format="json")


def api_states(world: World, step: str) -> tuple[LoanState, LoanState | None]:
    """A state where ``step`` is declared and one where it is not (None for a step open in every
    state, such as a comment), each with a loan that has the record the step names (the API
    answers 404 for a record of another loan)."""

    def names_own_record(state: LoanState) -> bool:
        return step not in TARGETS or TARGETS[step][0](world.loans[state]).exists()

    candidates = [state for state in STATES if names_own_record(state)]
    declared = next(s for s in candidates if gate(step, s) is not None)
    undeclared = next((s for s in candidates if gate(step, s) is None), None)
    return declared, undeclared


def api_cells(world: World) -> Iterator[Cell]:
    """Each step where it is declared: by every person of the branch it authorises or refuses as
    the wrong person, by one person of each role it refuses as the wrong role, and by one person
    of another branch (whose role changes from step to step), who must not learn that the loan
    exists. Where it is not declared, by one person of each role."""
    one_per_role = [p for p in OWN_BRANCH if p.role != Role.ACCOUNT_MANAGER or p.name == "owner"]
    for index, step in enumerate(API_STEPS):
        declared, undeclared = api_states(world, step)
        roles_refused: set[str] = set()
        for persona in OWN_BRANCH:
            cell = Cell(step, declared, persona)
            if expected(cell, world.facts) == Deviation.Kind.WRONG_ROLE:
                if persona.role in roles_refused:
                    continue
                roles_refused.add(persona.role)
            yield cell
        yield Cell(step, declared, OTHER_BRANCH[index % len(OTHER_BRANCH)])
        for persona in one_per_role if undeclared is not None else ():
            yield Cell(step, undeclared, persona)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever the request writes (an authorised cell may succeed) is undone after it.

    The engine's blocks are durable; Django lets them nest in the blocks of the test's own
    transaction, which it marks with ``_from_testcase``. This block is marked as one of those.
    """
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        transaction.set_rollback(True)


def api_problem(want: str, response: Any, recorded: list[Deviation]) -> str | None:
    """What is wrong with the API's answer to a cell (None: it answered as declared)."""
    body = response.json() if response.content else {}
    code = body.get("code")
    if want == AUTHORISED:
        # A 400 judges the person's input after the gate: the same body reaches the engine for
        # the people it refuses in this state (403/409 below), and the forms do not depend on
        # who submits (but for the co-investigator: see action_body).
        if response.status_code in {200, 201, 400}:
            return None
        if response.status_code == 409 and code == Deviation.Kind.CHECKS_FAILED:
            return None
        return f"refused but declared ({response.status_code} {code})"
    if want == Deviation.Kind.OUT_OF_SCOPE:  # another branch: the loan is not disclosed
        if response.status_code != 404 or recorded:
            return f"{response.status_code} {code} with {len(recorded)} deviations, not a 404"
        return None
    if response.status_code < 300:
        return f"UNEXPECTED SUCCESS ({response.status_code})"
    status = 403 if want in FORBIDDEN_REFUSALS else 409
    kinds = [(d.pk, d.kind) for d in recorded]
    if (response.status_code, code) != (status, want) or kinds != [(body["deviation_id"], want)]:
        return f"{response.status_code} {code} with deviations {kinds}, declared {status} {want}"
    return None


def test_the_api_authorises_exactly_the_declared_cells(world: World) -> None:
    clients = {name: api(user) for name, user in world.users.items()}
    problems = []
    roles = set()
    for cell in api_cells(world):
        want = expected(cell, world.facts)
        with rolled_back():  # so every request finds the world as built, with no deviation
            response = send(clients[cell.persona.name], world, cell.step, cell.state)
            recorded = list(Deviation.objects.all())
            found = api_problem(want, response, recorded)
        roles.add((cell.step, cell.state, cell.persona.role, cell.persona.other_branch))
        if found is not None:
            problems.append(f"{cell}: {found}")

    # Each step × role, in both states; a step open in every state (a comment) in the one.
    everywhere = [step for step in API_STEPS if all(gate(step, state) for state in STATES)]
    assert len(roles) == len(API_STEPS) * (2 * len(Role) + 1) - len(everywhere) * len(Role)
    assert not problems, listing(problems)
