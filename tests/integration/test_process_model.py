"""A model-based test of the loan process: Hypothesis drives random steps on PostgreSQL.

A demo-like cast (loans/demo.py) works a handful of loans of one branch: three account managers,
one of them also a reviewer (a dual role), a reviewer, approvers of authority levels 1, 3 and 3
(two top-level approvers for the loans above the top tier), a disbursement officer, the branch
head, a compliance officer and an account manager of another branch. Each step is one rule:

- ``advance``: an open loan's next forward step (half of the time, the loan furthest along) with
  valid data, as loans/journeys.py builds it: the records its stage still needs
  (``journeys.prepare_to_leave``; for disbursement only what is missing), a policy exception for
  a failing soft check, an endorsement above the top tier, then the forward transition: mostly by
  the person whose part it is, sometimes by anyone;
- ``try_transition``: a transition open in the loan's state or any other, by the loan's account
  manager, a holder of its roles or anyone, with a fitting, invalid or empty payload;
- ``try_action``: an action of ``ACTIONS`` open in the loan's state or any other, by the same
  people, with values a form could send, valid or not, naming a record of this loan, of another
  loan, a cancelled one or none;
- ``correct_or_cancel``: a correction or cancellation of one of the loan's records in force, by
  its author, the branch head or anyone;
- ``oversee``: the branch head (or anyone) reassigns, delegates, revokes, grants, declines;
- ``apply``: a new application, while fewer than two loans are open.

Random steps mostly go to open loans, sometimes to closed, rejected or withdrawn ones.

Every call to the engine is checked as it returns (``Engine.call``):

- performed: exactly one new audit event on that loan's chain, naming the step, the actor and the
  states (a transition repeated by the person who just performed it: none, and nothing changed);
  no deviation, except the low-severity one that a granted policy exception is;
- ``TransitionRefused``: exactly one new deviation on that loan, for that step, actor, state and
  kind; no audit event; nothing changed;
- an input error (``InvalidInput`` or a service's ``ValidationError``): no deviation, no audit
  event, nothing changed;
- nothing changed on any other loan (its file, chain and deviations).

After every step, the invariants:

1. No change to a loan's state or file without a new audit event on its chain. The file is the
   loan's row and every row hanging from it: the stage records (cancelled ones included),
   contracts, approval decisions and conditions, delegations, exception requests and policy
   exceptions.
2. Every refusal is a deviation: each loan holds as many deviations as the model saw refusals
   (and granted exceptions), and as many audit events as it saw steps performed.
3. Every loan's chain verifies (``workflow.audit.verify_chain``): each chain is verified whole
   after every step that added to it.
4. On every loan in post-loan or closed, over its history until it was disbursed:
   - separation of duties (loans/checks/people.py): nobody of the front office (whoever acted on
     the loan as account manager, its account manager now, the investigators of its site visits
     in force) acted as reviewer, approver or disbursement officer; nobody who acted as reviewer
     acted as approver or disbursement officer; nobody who acted as approver acted as
     disbursement officer;
   - two investigators (loans/checks/site_visit.py ``two_investigators``): each site visit that
     took the loan into review had a lead and a different co-investigator, who confirmed it with
     their own login;
   - authority (``approver_authority``, ``endorsement_allowed``): the last approver holds the
     level the amount needs; above the top tier another top-level approver endorsed the loan in
     the same round of approval;
   - the contract's witness is neither its recorder nor the disbursement officer
     (``witness_independent``);
   - an upgrade of the class was confirmed by someone other than its inspector and the loan's
     account manager (``upgrade_confirmer_independent``).

The run is derandomized (the same steps every time) and counts its steps: at least 1,000.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from loans import journeys, services
from loans.choices import (
    ApprovalOutcome,
    CreditReportResult,
    DirectPaymentGround,
    DocumentKind,
    GuaranteeType,
    GuarantorKind,
    Industry,
    InspectionKind,
    InspectionMode,
    PaymentMethod,
    RepaymentMethod,
    ReturnReason,
    RiskClass,
)
from loans.journeys import EVIDENCE_PHOTO, Cast
from loans.models import (
    ApprovalCondition,
    ApprovalDecision,
    Branch,
    Delegation,
    Extension,
    Inspection,
    Loan,
    LoanProduct,
    SiteVisit,
    User,
)
from loans.personal_data import PersonalField
from loans.policy import policy_in_force
from loans.roles import Role
from loans.states import APPLICATION_FIELDS, TERMINAL_STATES, LoanState
from loans.validators import resident_id_check_character
from loans.workflow import RECORDS, RecordKind
from tests import factories
from workflow.actions import perform_action
from workflow.audit import verify_chain
from workflow.checks import CheckKind, CheckResult, Severity
from workflow.engine import TransitionRefused, decide, perform_transition
from workflow.models import (
    AuditEvent,
    Channel,
    Deviation,
    ExceptionRequest,
    PolicyException,
)
from workflow.registry import process_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MIN_STEPS = 1_000
MIN_SHARE_DISBURSED = 0.2  # of the loans opened, the share that must reach post-loan
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=100,
    deadline=None,
    derandomize=True,  # the same steps on every run: CI is reproducible
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The defaults, but concentration limits apply from a smaller branch: a few loans breach them,
# and the reviewer asks the branch head for a policy exception (a soft check).
POLICY = {"concentration_min_portfolio": Decimal(1_000_000)}

S = LoanState
POST_LOAN = (S.POST_LOAN, S.CLOSED)

# --- the cast and the loans ----------------------------------------------------------------------

# username, roles, branch, approval authority level
STAFF: tuple[tuple[str, tuple[Role, ...], str, int | None], ...] = (
    ("manager1", (Role.ACCOUNT_MANAGER,), "B01", None),
    ("manager2", (Role.ACCOUNT_MANAGER,), "B01", None),
    ("manager3", (Role.ACCOUNT_MANAGER, Role.REVIEWER), "B01", None),  # the dual role
    ("reviewer1", (Role.REVIEWER,), "B01", None),
    ("approver1", (Role.APPROVER,), "B01", 1),
    ("approver3", (Role.APPROVER,), "B01", 3),
    ("approver4", (Role.APPROVER,), "B01", 3),
    ("officer1", (Role.DISBURSEMENT_OFFICER,), "B01", None),
    ("head1", (Role.BRANCH_HEAD,), "B01", None),
    ("compliance1", (Role.COMPLIANCE_OFFICER,), "B01", None),
    ("manager9", (Role.ACCOUNT_MANAGER,), "B02", None),  # of another branch
)

# product, amount, guarantee, industry: what approval and disbursement need differs.
APPLICATIONS: tuple[tuple[str, int, GuaranteeType, Industry], ...] = (
    ("MERCHANT", 60_000, GuaranteeType.GUARANTEE, Industry.F),  # level 1 approves
    ("MERCHANT", 280_000, GuaranteeType.CREDIT, Industry.H),  # level 2 or more
    ("MERCHANT", 800_000, GuaranteeType.MORTGAGE, Industry.C),  # collateral, entrusted payment
    ("SME", 3_600_000, GuaranteeType.PLEDGE, Industry.A),  # above the top tier: two approvers
)
Application = tuple[tuple[str, int, GuaranteeType, Industry], int]  # and the manager's index
APPLICATION = st.tuples(st.sampled_from(APPLICATIONS), st.integers(0, 2))
MAX_LOANS = 8  # in one example: new applications arrive while fewer than two loans are open


@dataclass(frozen=True)
class Staff:
    """The cast, made anew for each example."""

    people: tuple[User, ...]

    @classmethod
    def create(cls) -> Staff:
        b01 = Branch.objects.create(code="B01", name="County Sub-branch")
        b02 = Branch.objects.create(code="B02", name="Town Sub-branch", parent=b01)
        branches = {"B01": b01, "B02": b02}
        people = tuple(
            factories.staff(*roles, username=name, branch=branches[code], authority_level=level)
            for name, roles, code, level in STAFF
        )
        return cls(people)

    def named(self, username: str) -> User:
        return next(person for person in self.people if person.username == username)

    def holding(self, roles: frozenset[str]) -> list[User]:
        """Staff of the loans' branch who hold one of ``roles``."""
        return [p for p in self.people if p.roles & roles and p.branch.code == "B01"]

    @property
    def managers(self) -> list[User]:
        return self.holding(frozenset({Role.ACCOUNT_MANAGER}))

    @property
    def reviewers(self) -> list[User]:
        return self.holding(frozenset({Role.REVIEWER}))

    @property
    def approvers(self) -> list[User]:
        return self.holding(frozenset({Role.APPROVER}))

    @property
    def officer(self) -> User:
        return self.named("officer1")

    @property
    def head(self) -> User:
        return self.named("head1")


def create_products() -> dict[str, LoanProduct]:
    merchant = factories.LoanProductFactory()  # CNY 10,000 – 3,000,000
    sme = LoanProduct.objects.create(
        code="SME",
        name="Small-enterprise loan",
        min_amount=Decimal(100_000),
        max_amount=Decimal(5_000_000),
        min_term_months=12,
        max_term_months=60,
        collateral_required=True,
    )
    return {"MERCHANT": merchant, "SME": sme}


def empty_the_database() -> None:
    """Every table of the loan and workflow apps, emptied (the role groups stay).

    The engine commits each step in its own durable transaction, so the test is transactional and
    each example starts from this empty database instead of a rolled-back one."""
    tables = [
        model._meta.db_table
        for label in ("loans", "workflow")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=False, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


# --- what a loan's file is, and how the engine left it ------------------------------------------

File = Mapping[str, str]  # table: a digest of the loan's rows in it


DIGEST = "md5(string_agg(row_to_json(r)::text, '|' ORDER BY r.id))"  # every column of every row


def _select(model: type[models.Model], key: str, label: str, value: str, where: str) -> str:
    """SQL for ``key, label, value`` over the rows of ``model`` matching ``where``, by ``key``."""
    table = connection.ops.quote_name(model._meta.db_table)
    return (
        f"SELECT r.{key}, '{label}', {value} FROM {table} r"  # noqa: S608 - names of the models
        f" WHERE {where} GROUP BY r.{key}"
    )


def _observation_sql() -> str:
    """One query for all the loans: a digest of each table of each loan's file (the loan's row,
    the rows pointing to it, cancelled records included), the count of its events and
    deviations. %(loans)s are the loans' ids, %(type)s the loan's content type."""
    generic = "r.content_type_id = %(type)s AND r.object_id = ANY(%(loans)s)"
    selects = [_select(Loan, "id", "loan", DIGEST, "r.id = ANY(%(loans)s)")]
    for relation in Loan._meta.related_objects:
        model = relation.related_model
        key = connection.ops.quote_name(relation.field.column)
        selects.append(
            _select(model, key, model._meta.db_table, DIGEST, f"r.{key} = ANY(%(loans)s)")
        )
    for model in (ExceptionRequest, PolicyException):
        selects.append(_select(model, "object_id", model._meta.db_table, DIGEST, generic))
    for model, label in ((AuditEvent, "events"), (Deviation, "deviations")):
        selects.append(_select(model, "object_id", label, "count(*)::text", generic))
    return " UNION ALL ".join(selects)


@dataclass(frozen=True)
class Observation:
    """The loans as stored: their files, and how many audit events and deviations each has."""

    files: Mapping[int, File]
    events: Mapping[int, int]
    deviations: Mapping[int, int]

    @classmethod
    def of(cls, pks: Sequence[int]) -> Observation:
        files: dict[int, dict[str, str]] = {pk: {} for pk in pks}
        counts: dict[str, dict[int, int]] = {
            "events": dict.fromkeys(pks, 0),
            "deviations": dict.fromkeys(pks, 0),
        }
        loan_type = ContentType.objects.get_for_model(Loan).pk
        with connection.cursor() as cursor:
            cursor.execute(_observation_sql(), {"loans": list(pks), "type": loan_type})
            for pk, table, value in cursor.fetchall():
                if table in counts:
                    counts[table][pk] = int(value)
                else:
                    files[pk][table] = value
        return cls(files, counts["events"], counts["deviations"])

    def changed(self, pk: int, since: Observation) -> list[str]:
        """The tables of loan ``pk``'s file that changed since the observation ``since``."""
        before, now = since.files.get(pk, {}), self.files[pk]
        return sorted(t for t in before.keys() | now.keys() if before.get(t) != now.get(t))


def events_on(pk: int) -> models.QuerySet[AuditEvent]:
    loan_type = ContentType.objects.get_for_model(Loan)
    return AuditEvent.objects.filter(content_type=loan_type, object_id=pk).order_by("seq")


def deviations_on(pk: int) -> models.QuerySet[Deviation]:
    loan_type = ContentType.objects.get_for_model(Loan)
    return Deviation.objects.filter(content_type=loan_type, object_id=pk).order_by("id")


# --- calling the engine, and checking each call as it returns ----------------------------------

PERFORMED, REFUSED, INVALID = "performed", "refused", "invalid input"


@dataclass(frozen=True)
class Call:
    loan: int
    name: str
    actor: User
    payload: Mapping[str, Any]
    transition: bool


@dataclass(frozen=True)
class Outcome:
    status: str
    result: Any = None
    error: Exception | None = None

    @property
    def performed(self) -> bool:
        return self.status == PERFORMED


@dataclass
class Stats:
    """Counted over the whole run."""

    steps: int = 0
    loans: int = 0
    disbursed: int = 0
    closed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        share = self.disbursed / self.loans if self.loans else 0.0
        outcomes = ", ".join(f"{count} {status}" for status, count in self.outcomes.items())
        return (
            f"process model: {self.steps} steps; {self.loans} loans, {self.disbursed} "
            f"({share:.0%}) reached post-loan, {self.closed} closed; calls: {outcomes}\n"
        )


class Engine:
    """Calls ``perform_transition`` and ``perform_action`` and checks what each call left."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.loans: list[int] = []
        self.seen = Observation.of([])
        self.events: Counter[int] = Counter()  # the audit events the model expects on each loan
        self.deviations: Counter[int] = Counter()  # the deviations it expects
        self.calls = 0

    def opened(self, loan: Loan) -> None:
        self.loans.append(loan.pk)
        self.events[loan.pk] += 1  # the opening is the chain's first event
        self.seen = Observation.of(self.loans)

    def call(self, call: Call) -> Outcome:
        loan = Loan.objects.get(pk=call.loan)
        state = loan.state
        last = events_on(loan.pk).last()
        try:
            if call.transition:
                result = perform_transition(
                    loan, call.name, actor=call.actor, payload=call.payload, channel=Channel.WEB
                )
            else:
                result = perform_action(
                    loan, call.name, actor=call.actor, data=call.payload, channel=Channel.WEB
                )
            outcome = Outcome(PERFORMED, result)
        except TransitionRefused as refused:
            outcome = Outcome(REFUSED, error=refused)
        except ValidationError as error:  # InvalidInput, or the service's own validation
            outcome = Outcome(INVALID, error=error)
        note(f"{call.actor.username} {call.name} on loan {call.loan} ({state}): {outcome.status}")
        self.stats.outcomes[outcome.status] += 1
        before, after = self.seen, Observation.of(self.loans)
        self._check(call, outcome, state, last, before, after)
        self.seen = after
        self.calls += 1
        return outcome

    def _check(
        self,
        call: Call,
        outcome: Outcome,
        state: str,
        last: AuditEvent | None,
        before: Observation,
        after: Observation,
    ) -> None:
        what = f"{call.actor.username} {call.name} on loan {call.loan} in {state}: {outcome}"
        for pk in self.loans:
            if pk != call.loan:
                assert not after.changed(pk, before), f"{what} changed loan {pk}"
                assert after.events[pk] == before.events[pk], f"{what} audited on loan {pk}"
                assert after.deviations[pk] == before.deviations[pk], f"{what} on loan {pk}"
        pk = call.loan
        new_events = after.events[pk] - before.events[pk]
        new_deviations = after.deviations[pk] - before.deviations[pk]
        changed = after.changed(pk, before)
        if outcome.status == REFUSED:
            assert isinstance(outcome.error, TransitionRefused)
            assert new_deviations == 1, f"{what}: {new_deviations} deviations recorded"
            deviation = deviations_on(pk).last()
            assert deviation is not None
            assert deviation.pk == outcome.error.deviation.pk
            assert (deviation.transition, deviation.actor_id) == (call.name, call.actor.pk)
            assert (deviation.from_state, deviation.kind) == (state, outcome.error.kind)
            assert new_events == 0, f"{what}, yet audited"
            assert not changed, f"{what}, yet changed {changed}"
            self.deviations[pk] += 1
        elif outcome.status == INVALID:
            assert new_deviations == 0, f"{what}, yet a deviation was recorded"
            assert new_events == 0, f"{what}, yet audited"
            assert not changed, f"{what}, yet changed {changed}"
        else:
            granted = 1 if call.name == "exception_grant" else 0
            assert new_deviations == granted, f"{what}: {new_deviations} deviations recorded"
            if granted:
                deviation = deviations_on(pk).last()
                assert deviation is not None
                assert deviation.kind == Deviation.Kind.POLICY_EXCEPTION, what
                self.deviations[pk] += 1
            if new_events == 0:  # only a repeat of the step this person just performed
                assert call.transition, f"{what}, but not audited"
                assert last is not None, f"{what}, but not audited"
                repeated = (last.action, last.actor_id, last.target_state)
                assert repeated == (call.name, call.actor.pk, state), f"{what}, but not audited"
                assert not changed, f"{what}: a repeat changed {changed}"
                return
            assert new_events == 1, f"{what}: {new_events} audit events"
            event = events_on(pk).last()
            assert event is not None
            now_in = Loan.objects.values_list("state", flat=True).get(pk=pk)
            assert (event.action, event.actor_id) == (call.name, call.actor.pk), what
            assert (event.source_state, event.target_state) == (state, now_in), what
            kind = AuditEvent.Kind.TRANSITIONED if call.transition else AuditEvent.Kind.RECORDED
            assert event.kind == kind, what
            if not call.transition:
                assert now_in == state, f"{what} changed the state"
            self.events[pk] += 1

    def journey_action(
        self,
        obj: Loan,
        name: str,
        *,
        actor: User,
        data: Mapping[str, Any] | None = None,
        channel: Channel = Channel.SYSTEM,
        idempotency_key: str = "",
    ) -> Any:
        """``perform_action`` as loans/journeys.py calls it, checked; raises as it does."""
        outcome = self.call(Call(obj.pk, name, actor, dict(data or {}), transition=False))
        if outcome.error is not None:
            raise outcome.error
        return outcome.result


# --- the values a form could send ---------------------------------------------------------------

TEXTS = ("", "   ", "Checked in person with the borrower.", "x" * 300)
REASONS = ("", "typo", "Entered in error; the figures are as on the signed form.")
MONEY = tuple(Decimal(v) for v in ("-1000", "0", "5000", "80000", "1000000000"))
DAYS = (0, 0, -1, 3, -800)  # offsets from today: today, yesterday, future, before the application
FILES = (
    ("site.jpg", EVIDENCE_PHOTO),
    ("contract.pdf", journeys.EVIDENCE_PDF),
    ("fake.pdf", b"%PDF-1.4\n" + bytes(32)),
    ("photo.jpg", b"not really a photo"),
    ("setup.exe", b"MZ" + bytes(32)),
)
SOFT_AND_HARD_CHECKS = ("evidence_collected", "portfolio_limits", "two_investigators", "nonsense")
RETURN_PAYLOAD = {"reason": ReturnReason.MISSING_DOCUMENTS, "comment": "Please complete the file."}
ENDORSEMENT = {"comment": "Endorsed: within the bank's appetite."}
TRANSITION_PAYLOADS: tuple[dict[str, Any], ...] = (
    {},
    RETURN_PAYLOAD,
    {"reason": "bogus", "comment": ""},
    journeys.APPROVAL,
    {"conditions": []},
    {"conditions": "sign first"},
    ENDORSEMENT,
)
# The fields of the actions that are not adding a record; ``record`` names one, see RECORD_OF.
SHAPES: dict[str, tuple[str, ...]] = {
    "site_visit_confirm": ("record",),
    "contract_record": ("number", "signed_at", "signed_face_to_face", "witness"),
    "condition_fulfil": ("record", "fulfilment_note"),
    "classification_upgrade_confirm": ("record",),
    "loan_reassign": ("account_manager",),
    "delegate_assign": ("delegate",),
    "delegate_revoke": ("delegation",),
    "exception_request": ("transition", "check_code", "reason"),
    "exception_grant": ("request", "note"),
    "exception_decline": ("request", "note"),
    "personal_data_reveal": ("field",),
    "days_past_due_update": ("days_past_due",),
    "classification_floor_apply": (),
    "core_feed_apply": ("repayments", "days_past_due"),
    "overdue_mark_technical": ("reason",),
    "restructuring_record": ("restructured_at", "reason"),
    "loan_renew": (),
    "extension_request": ("months", "reason"),
    "extension_review": ("record", "opinion"),
    "extension_endorse": ("record",),
    "extension_approve": ("record", "note"),
    "extension_decline": ("record", "note"),
    "comment_post": ("text", "mentioned"),
}
RECORD_OF: dict[str, type[models.Model]] = {
    **dict.fromkeys(
        ("extension_review", "extension_endorse", "extension_approve", "extension_decline"),
        Extension,
    ),
    "site_visit_confirm": SiteVisit,
    "condition_fulfil": ApprovalCondition,
    "classification_upgrade_confirm": Inspection,
}
MOMENTS = ("held_at", "signed_at", "visited_at", "inspected_at", "paid_at", "restructured_at")
PEOPLE = ("co_investigator", "witness", "account_manager", "delegate", "mentioned")
MONEY_FIELDS = ("value", "principal", "monthly_income", "monthly_debt_payments", "amount")
CHOICES: dict[str, tuple[Any, ...]] = {
    "field": (*PersonalField.values, "nonsense"),  # an account names no drawdown: an input error
    "result": tuple(CreditReportResult.values),
    "method": tuple(PaymentMethod.values),
    "direct_payment_ground": ("", *DirectPaymentGround.values),
    "mode": tuple(InspectionMode.values),
    "repayment_method": ("", *RepaymentMethod.values),
    "guarantee_type": ("", *GuaranteeType.values),
    "industry": ("", Industry.A, Industry.F),
    "overdue_accounts": (0, 2),
    "days_past_due": (0, 5, 95, -1),
    "months": (0, 1, 6, 12, 13, 200),
    "term_months": (None, 0, 12, 100),
    "proposed_class": (None, *RiskClass.values),
    "signed_face_to_face": (True, False),
    "funds_used_as_stated": (True, False),
    "check_code": SOFT_AND_HARD_CHECKS,
}


OVERSIGHT = (
    "loan_reassign",
    "delegate_assign",
    "delegate_revoke",
    "exception_grant",
    "exception_decline",
)
APPLICATION_CHECKS = {"application_complete", "within_product_limits"}  # application_edit mends
FITTING_PAYLOADS: dict[str, dict[str, Any]] = {
    "approve": journeys.APPROVAL,
    "endorse": ENDORSEMENT,
    **dict.fromkeys(
        ("return_to_intake", "return_to_site_visit", "return_to_review", "return_to_approval"),
        RETURN_PAYLOAD,
    ),
    "reject": RETURN_PAYLOAD,
    "withdraw": RETURN_PAYLOAD,
}


def one_of_these(*choices: Sequence[Any]) -> st.SearchStrategy[Any]:
    """One of the non-empty sequences (each as likely), then one of its items."""
    return st.one_of(*(st.sampled_from(choice) for choice in choices if choice))


def kind_of_action(name: str) -> tuple[RecordKind, str] | None:
    """The kind of record an action adds, corrects or cancels, and which of the three it is."""
    for kind in RECORDS:
        for what, action_name in (
            ("add", kind.add),
            ("correct", f"{kind.name}_correct"),
            ("cancel", f"{kind.name}_cancel"),
        ):
            if name == action_name:
                return kind, what
    return None


@dataclass(frozen=True)
class VisitFacts:
    """The site visit in force when the loan was submitted for review."""

    two_needed: bool  # the amount is at or above the policy's two-person threshold
    visit: int
    lead: int
    co_investigator: int | None
    confirmed: bool
    confirmed_by_co_investigator: bool  # a ``site_visit_confirm`` event of theirs on this visit


# --- the machine ---------------------------------------------------------------------------------


class LoanProcessModel(RuleBasedStateMachine):
    stats: ClassVar[Stats] = Stats()

    def __init__(self) -> None:
        super().__init__()
        empty_the_database()
        self.staff = Staff.create()
        self.products = create_products()
        factories.PolicyVersionFactory(version="model-1", **POLICY)
        self.engine = Engine(self.stats)
        self.applications: dict[int, dict[str, Any]] = {}
        self.visits_into_review: dict[int, list[VisitFacts]] = {}
        self.disbursed: set[int] = set()
        self.closed: set[int] = set()
        self.chains_verified: dict[int, int] = {}  # loan: its events when last verified
        self.rules_checked: dict[int, int] = {}  # loan: its events when its rules were checked
        self.audited = Observation.of([])
        self.process = process_for(Loan)
        self._open: tuple[tuple[int, int], list[Loan]] = ((-1, 0), [])
        # The journeys' preparations call the engine through this module's checked calls.
        self._journeys = mock.patch.object(journeys, "perform_action", self.engine.journey_action)
        self._journeys.start()

    def teardown(self) -> None:
        self._journeys.stop()

    # --- drawing -------------------------------------------------------------------------------

    @property
    def loans(self) -> list[int]:
        return self.engine.loans

    def draw_loan(self, data: st.DataObject, *, open_only: bool = False) -> Loan:
        """An open loan; unless ``open_only``, one time in four any loan."""
        open_loans = self.loans_open()
        if open_loans and (open_only or data.draw(st.integers(0, 3), label="any loan") < 3):
            return data.draw(st.sampled_from(open_loans), label="loan")
        loans = Loan.objects.filter(pk__in=self.loans).order_by("pk")
        return data.draw(st.sampled_from(list(loans)), label="loan")

    def draw_person(self, data: st.DataObject, roles: frozenset[str], loan: Loan) -> User:
        """Someone who could take a step open to ``roles`` (the loan's account manager, a
        holder of one of the roles), or anyone at all."""
        owner = [loan.account_manager] if Role.ACCOUNT_MANAGER in roles else []
        holders = self.staff.holding(roles)
        return data.draw(one_of_these(owner, holders, list(self.staff.people)), label="actor")

    def draw_cast(self, data: st.DataObject, loan: Loan) -> Cast:
        """The people of the loan's journey: its account manager, and for each other part a
        holder of the role (an approver of the level the amount needs, mostly)."""
        others = [m for m in self.staff.managers if m.pk != loan.account_manager_id]
        approvers = self.staff.approvers
        needed = policy_in_force().required_authority(loan.amount or Decimal(0))
        level = needed or policy_in_force().top_tier[1]
        fitting = [a for a in approvers if (a.authority_level or 0) >= level]
        return Cast(
            manager=loan.account_manager,
            co_investigator=data.draw(st.sampled_from(others), label="co-investigator"),
            reviewer=data.draw(st.sampled_from(self.staff.reviewers), label="reviewer"),
            approver=data.draw(st.sampled_from(fitting + approvers), label="approver"),
            officer=self.staff.officer,
        )

    def draw_value(self, data: st.DataObject, loan: Loan, action: str, name: str) -> Any:
        """A value a form could send for field ``name`` of ``action``: valid or not."""
        now = timezone.now()
        if name in MOMENTS:
            days = data.draw(st.sampled_from(DAYS), label=name)
            return None if days == -1 and name == "paid_at" else now + timedelta(days=days)
        if name == "repayments":  # a core-banking file's rows of the loan, or not
            moments = st.sampled_from(DAYS).map(lambda days: now + timedelta(days=days))
            row = st.fixed_dictionaries({"principal": st.sampled_from(MONEY), "paid_at": moments})
            return data.draw(st.lists(row, max_size=3) | st.sampled_from(TEXTS), label=name)
        if name in ("valued_at", "signed_on"):
            return timezone.localdate(now + timedelta(days=data.draw(st.sampled_from(DAYS))))
        if name == "id_number":  # a guarantor's: a third party, the borrower, or a typing error
            numbers = ("11010519491231002X", loan.borrower.id_number, "11010519491231002")
            return data.draw(st.sampled_from(numbers), label=name)
        if name in PEOPLE:
            return data.draw(st.none() | st.sampled_from(self.staff.people), label=name)
        if name in MONEY_FIELDS:
            return data.draw(st.sampled_from(MONEY), label=name)
        if name == "kind":
            kinds = (
                DocumentKind
                if action.startswith("document")
                else GuarantorKind
                if action.startswith("guarantor")
                else InspectionKind
            )
            return data.draw(st.sampled_from(tuple(kinds.values)), label=name)
        if name == "file":
            file_name, content = data.draw(st.sampled_from(FILES), label=name)
            return ContentFile(content, name=file_name)
        if name == "site_visit":
            return self.draw_record(data, loan, SiteVisit)
        if name == "delegation":
            return self.draw_record(data, loan, Delegation)
        if name == "request":
            requests = list(ExceptionRequest.objects.order_by("pk"))
            return data.draw(st.none() | st.sampled_from(requests) if requests else st.none())
        if name == "product":
            return data.draw(st.none() | st.sampled_from(list(self.products.values())))
        if name == "number":
            numbers = ("", f"C-{loan.reference}", "C-LF-OTHER-1", "C-1")
            return data.draw(st.sampled_from(numbers), label=name)
        if name == "transition":
            names = sorted(self.process.definition.names())
            return data.draw(st.sampled_from([*names, "nonsense"]), label=name)
        if name in ("reason", "note", "fulfilment_note"):
            return data.draw(st.sampled_from(REASONS), label=name)
        if name in CHOICES:
            return data.draw(st.sampled_from(CHOICES[name]), label=name)
        return data.draw(st.sampled_from(TEXTS), label=name)

    def draw_record(
        self, data: st.DataObject, loan: Loan, model: type[models.Model]
    ) -> models.Model | None:
        """One of the loan's records in force (as the screens offer them), any record of that
        kind (another loan's, a cancelled one), or none."""
        own = list(model._default_manager.filter(loan=loan).order_by("pk"))
        every = list(model._base_manager.order_by("pk"))
        options: list[st.SearchStrategy[models.Model | None]] = []
        options += [st.sampled_from(own)] if own else []
        options += [st.sampled_from(every)] if every else []
        return data.draw(st.one_of(*options, st.none()), label=model.__name__)

    def draw_payload(self, data: st.DataObject, loan: Loan, name: str) -> dict[str, Any]:
        """What a form of action ``name`` could send: every field it has, valid or not."""
        found = kind_of_action(name)
        record_model: type[models.Model] | None = RECORD_OF.get(name)
        if found is not None:
            kind, what = found
            if what == "add":
                fields: Sequence[str] = kind.fields
            else:
                record_model = kind.model
                corrected = st.lists(st.sampled_from(kind.correctable), min_size=1, unique=True)
                fields = ["reason", *(data.draw(corrected) if what == "correct" else [])]
        elif name == "application_edit":
            fields = data.draw(
                st.lists(st.sampled_from(APPLICATION_FIELDS), min_size=1, unique=True)
            )
        else:
            fields = [f for f in SHAPES[name] if f != "record"]
            if "record" in SHAPES[name]:
                record_model = RECORD_OF[name]
        payload = {f: self.draw_value(data, loan, name, f) for f in fields}
        if record_model is not None:
            payload["record"] = self.draw_record(data, loan, record_model)
        return payload

    # --- calls ---------------------------------------------------------------------------------

    def transition(self, loan: Loan, name: str, actor: User, payload: Mapping[str, Any]) -> Outcome:
        outcome = self.engine.call(Call(loan.pk, name, actor, payload, transition=True))
        if outcome.performed:
            self.after_transition(Loan.objects.get(pk=loan.pk), name)
        return outcome

    def action(self, loan: Loan, name: str, actor: User, data: Mapping[str, Any]) -> Outcome:
        return self.engine.call(Call(loan.pk, name, actor, data, transition=False))

    def after_transition(self, loan: Loan, name: str) -> None:
        if name == "submit_for_review":
            self.visits_into_review.setdefault(loan.pk, []).append(visit_facts(loan))
        if loan.state == S.POST_LOAN and loan.pk not in self.disbursed:
            self.disbursed.add(loan.pk)
            self.stats.disbursed += 1
        if loan.state == S.CLOSED and loan.pk not in self.closed:
            self.closed.add(loan.pk)
            self.stats.closed += 1

    # --- rules -----------------------------------------------------------------------------------

    @initialize(applications=st.lists(APPLICATION, min_size=3, max_size=4))
    def open_loans(self, applications: list[Application]) -> None:
        """Three or four applications, each opened by one of the branch's account managers."""
        for application in applications:
            self.open_loan(application)

    @precondition(lambda self: len(self.loans) < MAX_LOANS and len(self.loans_open()) < 2)
    @rule(application=APPLICATION)
    def apply(self, application: Application) -> None:
        """Another application, while the branch has fewer than two loans open."""
        self.stats.steps += 1
        self.open_loan(application)

    def open_loan(self, application: Application) -> None:
        (product, amount, guarantee, industry), manager = application
        number = len(self.loans) + 1
        body = f"11010519800101{number:03d}"
        borrower = services.borrower_create(
            branch_id=Branch.objects.get(code="B01").pk,
            kind="individual",
            name=f"Borrower {number}",
            id_number=body + resident_id_check_character(body),
            address="No. 8 Market Street",
            industry=industry,
        )
        values = {
            "product": self.products[product],
            "amount": Decimal(amount),
            "term_months": 24,
            "purpose": "Working capital for the coming season",
            "repayment_method": RepaymentMethod.EQUAL_INSTALMENTS,
            "guarantee_type": guarantee,
            "industry": industry,
        }
        account_manager = self.staff.managers[manager]
        loan = services.loan_create(borrower=borrower, account_manager=account_manager, **values)
        self.applications[loan.pk] = values
        self.engine.opened(loan)
        self.stats.loans += 1

    def loans_open(self) -> list[Loan]:
        """The loans not yet closed, rejected or withdrawn (read again after each call)."""
        if self._open[0] != (self.engine.calls, len(self.loans)):
            loans = Loan.objects.filter(pk__in=self.loans).exclude(state__in=TERMINAL_STATES)
            self._open = ((self.engine.calls, len(self.loans)), list(loans.order_by("pk")))
        return self._open[1]

    @precondition(lambda self: self.loans_open())
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """The next forward step, with valid data prepared as the journeys do, of an open loan
        or (one time in two) of the open loan furthest along, so that loans reach post-loan."""
        self.stats.steps += 1
        if data.draw(st.booleans(), label="the loan furthest along"):
            loan = max(self.loans_open(), key=lambda loan: (progress(loan), -loan.pk))
        else:
            loan = self.draw_loan(data, open_only=True)
        self.step_forward(data, loan)

    def step_forward(self, data: st.DataObject, loan: Loan) -> None:
        cast = self.draw_cast(data, loan)
        name, part, payload = journeys.forward_step(loan)
        if name == "approve" and needs_endorsement(loan):
            name, payload = "endorse", ENDORSEMENT
        actor = getattr(cast, part)
        if data.draw(st.integers(0, 7), label="anyone instead") == 7:
            actor = data.draw(st.sampled_from(self.staff.people), label="actor")
        self.prepare(loan, cast, name, actor, payload)
        self.transition(loan, name, actor, payload)

    @rule(data=st.data())
    def try_transition(self, data: st.DataObject) -> None:
        """A transition open in the loan's state, or any, by anyone, with any payload."""
        self.stats.steps += 1
        loan = self.draw_loan(data)
        definition = self.process.definition
        open_now = sorted({t.name for t in definition.from_state(loan.state)})
        every = sorted(definition.names())
        name = data.draw(one_of_these(open_now, every), label="name")
        roles = frozenset().union(
            *(t.step.roles for t in definition.transitions if t.name == name and t.step)
        )
        actor = self.draw_person(data, roles, loan)
        fitting = FITTING_PAYLOADS.get(name, {})
        payload = data.draw(one_of_these([fitting], TRANSITION_PAYLOADS), label="payload")
        self.transition(loan, name, actor, payload)

    @rule(data=st.data())
    def try_action(self, data: st.DataObject) -> None:
        """An action open in the loan's state, or any, by a holder of its roles or anyone, with
        any values."""
        self.stats.steps += 1
        loan = self.draw_loan(data)
        every = self.process.definition.actions
        open_now = self.process.definition.actions_in(loan.state)
        declared = data.draw(one_of_these(open_now, every), label="action")
        actor = self.draw_person(data, declared.roles, loan)
        self.action(loan, declared.name, actor, self.draw_payload(data, loan, declared.name))

    @rule(data=st.data())
    def correct_or_cancel(self, data: st.DataObject) -> None:
        """A record of the loan's file in force corrected or cancelled, with a reason."""
        self.stats.steps += 1
        loan = self.draw_loan(data)
        kinds = [k for k in RECORDS if k.model._default_manager.filter(loan=loan).exists()]
        if not kinds:
            return
        kind = data.draw(st.sampled_from(kinds), label="kind")
        record = data.draw(st.sampled_from(list(kind.model._default_manager.filter(loan=loan))))
        author = next(p for p in self.staff.people if p.pk == record.author_id)
        actor = data.draw(one_of_these([author], [self.staff.head], list(self.staff.people)))
        cancel = not kind.correctable or data.draw(st.booleans(), label="cancel")
        name = f"{kind.name}_cancel" if cancel else f"{kind.name}_correct"
        payload: dict[str, Any] = {"record": record, "reason": REASONS[-1]}
        if not cancel:
            corrected = data.draw(st.sampled_from(kind.correctable), label="field")
            payload[corrected] = self.draw_value(data, loan, name, corrected)
        self.action(loan, name, actor, payload)

    @rule(data=st.data())
    def oversee(self, data: st.DataObject) -> None:
        """The branch head (or someone else) reassigns, delegates, or decides on an exception."""
        self.stats.steps += 1
        loan = self.draw_loan(data)
        actor = data.draw(one_of_these([self.staff.head], list(self.staff.people)), label="actor")
        managers = one_of_these(self.staff.managers, list(self.staff.people))
        name = data.draw(st.sampled_from(OVERSIGHT), label="name")
        payload: dict[str, Any]
        if name == "loan_reassign":
            payload = {"account_manager": data.draw(managers, label="account manager")}
        elif name == "delegate_assign":
            payload = {"delegate": data.draw(managers, label="delegate")}
        elif name == "delegate_revoke":
            payload = {"delegation": self.draw_record(data, loan, Delegation)}
        else:
            pending = list(
                ExceptionRequest.objects.filter(
                    object_id=loan.pk, status=ExceptionRequest.Status.PENDING
                ).order_by("pk")
            )
            if not pending:
                return
            request = data.draw(st.sampled_from(pending), label="request")
            payload = {"request": request, "note": data.draw(st.sampled_from(REASONS))}
        self.action(loan, name, actor, payload)

    # --- the journeys' preparations ---------------------------------------------------------------

    def prepare(
        self, loan: Loan, cast: Cast, name: str, actor: User, payload: Mapping[str, Any]
    ) -> None:
        """Record what the step still needs, by the people whose part it is (journeys.py)."""
        missing = unmet(loan, name, actor, payload)
        if not missing:
            return
        try:
            if loan.state == S.INTAKE and missing & APPLICATION_CHECKS:
                self.action(loan, "application_edit", cast.manager, self.applications[loan.pk])
            if loan.state == S.DISBURSEMENT:
                self.prepare_disbursement(loan, cast)
            elif loan.state != S.APPROVAL:
                journeys.prepare_to_leave(loan, cast)
        except (TransitionRefused, ValidationError):
            return  # checked as it happened; the step will be refused in its turn
        loan = Loan.objects.get(pk=loan.pk)
        decision = decide(loan, name, actor=actor, payload=payload)
        soft = [r for r in decision.failed if r.severity == Severity.SOFT]
        if decision.refusal == Deviation.Kind.CHECKS_FAILED and len(soft) == len(decision.failed):
            self.waive(loan, name, actor, soft)

    def prepare_disbursement(self, loan: Loan, cast: Cast) -> None:
        """``journeys.prepare_for_post_loan``, for what is missing only (a loan returned to
        approval keeps its contract and drawdowns, and its fulfilled conditions)."""
        contract = loan.contract
        if contract is None or not contract.is_signed:
            journeys.act(
                loan,
                "contract_record",
                cast.officer,
                number=f"C-{loan.reference}",
                signed_at=timezone.now(),
                signed_face_to_face=True,
                witness=cast.manager,
            )
        for condition in loan.approval_conditions.filter(fulfilled_at__isnull=True):
            journeys.act(
                loan, "condition_fulfil", cast.officer, record=condition, fulfilment_note="Met."
            )
        amount = loan.amount or Decimal(0)
        room = amount - sum((d.amount for d in loan.drawdowns.all()), Decimal(0))
        if room > 0 and not loan.drawdowns.filter(paid_at__isnull=True).exists():
            entrusted = room > policy_in_force().direct_payment_business_use_limit
            journeys.act(
                loan,
                "drawdown_request",
                cast.officer,
                amount=room,
                method=PaymentMethod.ENTRUSTED if entrusted else PaymentMethod.OWN_ACCOUNT,
                counterparty_name="County Building Materials Co." if entrusted else "",
                counterparty_account="6222 0000 0000 1234" if entrusted else "",
                direct_payment_ground="" if entrusted else DirectPaymentGround.BUSINESS_USE,
            )

    def waive(self, loan: Loan, name: str, actor: User, results: list[CheckResult]) -> None:
        """Ask the branch head for a policy exception for each failing soft check; granted."""
        for result in results:
            reason = "The branch head knows the borrower's business well; it is sound."
            data = {"transition": name, "check_code": result.code, "reason": reason}
            asked = self.action(loan, "exception_request", actor, data)
            if asked.performed:
                grant = {"request": asked.result, "note": "Granted: briefly over, well secured."}
                self.action(loan, "exception_grant", self.staff.head, grant)

    # --- invariants ------------------------------------------------------------------------------

    def grown_since(self, seen: dict[int, int]) -> list[int]:
        """The loans whose chain grew since ``seen`` (each loan's events then), updating it. Only
        they need checking again: nothing of a loan changes without an event (invariant 1), and
        events are append-only."""
        events = self.engine.seen.events
        grown = [pk for pk in self.loans if events[pk] != seen.get(pk)]
        seen.update({pk: events[pk] for pk in grown})
        return grown

    @invariant()
    def no_change_without_an_audit_event(self) -> None:
        now = Observation.of(self.loans)
        for pk in self.loans:
            changed = now.changed(pk, self.audited)
            if changed:
                assert now.events[pk] > self.audited.events.get(pk, 0), (
                    f"loan {pk} changed ({', '.join(changed)}) without an audit event"
                )
        self.audited = now

    @invariant()
    def every_refusal_is_a_deviation(self) -> None:
        now = Observation.of(self.loans)
        for pk in self.loans:
            assert now.deviations[pk] == self.engine.deviations[pk], f"deviations of loan {pk}"
            assert now.events[pk] == self.engine.events[pk], f"audit events of loan {pk}"

    @invariant()
    def every_chain_verifies(self) -> None:
        for pk in self.grown_since(self.chains_verified):
            report = verify_chain(events_on(pk))
            assert report.intact, f"loan {pk}: {report}"

    @invariant()
    def disbursed_loans_kept_the_rules(self) -> None:
        grown = self.grown_since(self.rules_checked)
        for loan in Loan.objects.filter(pk__in=grown, state__in=POST_LOAN):
            history = until_disbursed(list(events_on(loan.pk)))
            assert_duties_separated(loan, history)
            assert_two_investigators(self.visits_into_review.get(loan.pk, []))
            assert_approval_authority(loan, history)
            assert_contract_witnessed(loan, history)
            assert_upgrades_confirmed_by_another(loan)


# --- the rules checked on disbursed loans --------------------------------------------------------


def unmet(loan: Loan, name: str, actor: User, payload: Mapping[str, Any]) -> set[str]:
    """The requirements of step ``name`` the loan's file does not meet yet."""
    decision = decide(loan, name, actor=actor, payload=payload)
    return {r.code for r in decision.failed if r.kind == CheckKind.REQUIREMENT}


def progress(loan: Loan) -> int:
    return journeys.HAPPY_PATH.index(LoanState(loan.state))


def needs_endorsement(loan: Loan) -> bool:
    """Above the top tier, and not yet endorsed in this round of approval."""
    ceiling, _level = policy_in_force().top_tier
    endorsed = ApprovalDecision.objects.filter(
        loan=loan, outcome=ApprovalOutcome.ENDORSED, decided_at__gte=loan.state_entered_at
    )
    return (loan.amount or 0) > ceiling and not endorsed.exists()


def visit_facts(loan: Loan) -> VisitFacts:
    visit = loan.site_visits.order_by("-visited_at", "-id").first()
    assert visit is not None, f"loan {loan.pk} went to review without a site visit"
    confirmations = events_on(loan.pk).filter(
        action="site_visit_confirm", actor_id=visit.co_investigator_id
    )
    return VisitFacts(
        two_needed=(loan.amount or 0) >= policy_in_force().two_person_threshold,
        visit=visit.pk,
        lead=visit.lead_investigator_id,
        co_investigator=visit.co_investigator_id,
        confirmed=visit.co_investigator_confirmed_at is not None,
        confirmed_by_co_investigator=any(
            e.payload.get("record", {}).get("id") == visit.pk for e in confirmations
        ),
    )


def until_disbursed(events: list[AuditEvent]) -> list[AuditEvent]:
    """The loan's events up to the one that took it into post-loan."""
    end = next(i for i, e in enumerate(events) if e.target_state == S.POST_LOAN)
    return events[: end + 1]


def acted_as(history: list[AuditEvent], role: Role) -> set[int]:
    return {e.actor_id for e in history if e.actor_role == role and e.actor_id is not None}


def assert_duties_separated(loan: Loan, history: list[AuditEvent]) -> None:
    investigators = {
        person
        for pair in loan.site_visits.values_list("lead_investigator_id", "co_investigator_id")
        for person in pair
        if person is not None
    }
    front = acted_as(history, Role.ACCOUNT_MANAGER) | {loan.account_manager_id} | investigators
    reviewers = acted_as(history, Role.REVIEWER)
    approvers = acted_as(history, Role.APPROVER)
    officers = acted_as(history, Role.DISBURSEMENT_OFFICER)
    where = f"loan {loan.pk} ({loan.state})"
    assert not front & reviewers, f"{where}: reviewed by {front & reviewers}, who sold it"
    assert not (front | reviewers) & approvers, f"{where}: approver involved earlier"
    assert not (front | reviewers | approvers) & officers, f"{where}: officer involved earlier"


def assert_two_investigators(visits: list[VisitFacts]) -> None:
    assert visits, "disbursed without ever going to review"
    for facts in visits:
        if not facts.two_needed:
            continue
        assert facts.co_investigator is not None, f"visit {facts.visit}: one investigator"
        assert facts.co_investigator != facts.lead, f"visit {facts.visit}: the same person"
        assert facts.confirmed, f"visit {facts.visit} was not confirmed"
        assert facts.confirmed_by_co_investigator, f"visit {facts.visit}: no confirmation event"


def assert_approval_authority(loan: Loan, history: list[AuditEvent]) -> None:
    approvals = [i for i, e in enumerate(history) if e.action == "approve"]
    assert approvals, f"loan {loan.pk} disbursed without an approval"
    approved = approvals[-1]
    entered = max(
        i
        for i, e in enumerate(history[:approved])
        if e.target_state == S.APPROVAL and e.source_state != S.APPROVAL
    )
    approver = User.objects.get(pk=history[approved].actor_id)
    policy = policy_in_force()
    needed = policy.required_authority(loan.amount or Decimal(0))
    if needed is not None:
        assert (approver.authority_level or 0) >= needed, f"loan {loan.pk}: above {approver}"
        return
    _ceiling, top = policy.top_tier
    endorsers = {e.actor_id for e in history[entered:approved] if e.action == "endorse"}
    endorsers.discard(approver.pk)
    levels = User.objects.filter(pk__in=endorsers).values_list("authority_level", flat=True)
    assert (approver.authority_level or 0) >= top, f"loan {loan.pk}: {approver} is not top-level"
    assert any((level or 0) >= top for level in levels), f"loan {loan.pk}: one approver only"


def assert_contract_witnessed(loan: Loan, history: list[AuditEvent]) -> None:
    contract = loan.contract
    assert contract is not None, f"loan {loan.pk}: no contract"
    assert contract.is_signed, f"loan {loan.pk}: the contract is not signed"
    disburser = history[-1].actor_id
    assert contract.witness_id not in {contract.recorded_by_id, disburser}, (
        f"loan {loan.pk}: the contract's witness recorded it or disbursed the loan"
    )


def assert_upgrades_confirmed_by_another(loan: Loan) -> None:
    confirmed = Inspection.all_objects.filter(loan=loan, upgrade_confirmed_by__isnull=False)
    for inspection in confirmed:
        assert inspection.upgrade_confirmed_by_id not in {
            inspection.inspector_id,
            loan.account_manager_id,
        }, f"loan {loan.pk}: inspection {inspection.pk}'s upgrade confirmed by its proposer"


# --- the test ------------------------------------------------------------------------------------


def test_random_steps_by_random_people_keep_the_process_invariants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    LoanProcessModel.stats = stats = Stats()

    run_state_machine_as_test(LoanProcessModel, settings=SETTINGS)

    with capsys.disabled():
        sys.stdout.write("\n" + stats.summary())
    assert stats.steps >= MIN_STEPS, stats.summary()
    assert stats.disbursed >= MIN_SHARE_DISBURSED * stats.loans, stats.summary()
    assert stats.closed > 0, stats.summary()
    assert stats.outcomes[REFUSED], stats.summary()
    assert stats.outcomes[INVALID], stats.summary()
