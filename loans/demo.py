"""Demo data: two branches, their staff, four products and about 60 loans in every stage.

Every stage change goes through the workflow engine (``journeys.advance`` and
``perform_transition``), so the audit trails are real, and so are the deviations: refused attempts.
The data is the same for the same seed. Loading twice changes nothing: the demo branch marks it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from loans import services
from loans.choices import BorrowerKind, GuaranteeType, Industry, RepaymentMethod, ReturnReason
from loans.demo_backlog import make_work_late
from loans.demo_guarantors import guarantees_recorded
from loans.demo_servicing import extend_one_disbursed_loan, service_some_disbursed_loans
from loans.demo_showcase import (
    classify_some_disbursed_loans,
    create_policy_version,
    exception_for_missing_evidence,
    exception_requested_for_missing_evidence,
)
from loans.journeys import (
    HAPPY_PATH,
    Cast,
    act,
    advance,
    prepare_for_review,
    prepare_for_site_visit,
)
from loans.models import Borrower, Branch, Loan, LoanProduct, User
from loans.roles import Role
from loans.states import LoanState
from loans.validators import USCC_ALPHABET, resident_id_check_character, uscc_check_character
from recovery.demo import collection_case_in_arrears
from watch.demo import watch_list_opened
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Channel, Deviation

S = LoanState
DEMO_PASSWORD = "loanflow-demo"  # noqa: S105 - the published password of the demo users
DEMO_SEED = 4754
DEMO_BRANCH_CODE = "B01"
BRANCHES = (  # code, name in English, in Chinese, parent
    ("B01", "County Sub-branch", "县支行", None),
    ("B02", "Town Sub-branch", "镇支行", "B01"),
)
# username, surname, given name (pinyin), role, branch, approval authority level
STAFF: tuple[tuple[str, str, str, Role, str | None, int | None], ...] = (
    ("manager1", "Wang", "Lei", Role.ACCOUNT_MANAGER, "B01", None),
    ("manager2", "Li", "Na", Role.ACCOUNT_MANAGER, "B01", None),
    ("reviewer1", "Zhang", "Wei", Role.REVIEWER, "B01", None),
    ("approver1", "Liu", "Yang", Role.APPROVER, "B01", 1),
    ("approver3", "Chen", "Jing", Role.APPROVER, "B01", 3),
    ("officer1", "Yang", "Fan", Role.DISBURSEMENT_OFFICER, "B01", None),
    ("compliance1", "Zhao", "Min", Role.COMPLIANCE_OFFICER, "B01", None),
    ("head1", "Zhou", "Zhiqiang", Role.BRANCH_HEAD, "B01", None),
    ("manager9", "Wu", "Haitao", Role.ACCOUNT_MANAGER, "B02", None),
    ("admin", "Sun", "Lixin", Role.ADMINISTRATOR, None, None),
)
DEMO_USERNAMES = tuple(row[0] for row in STAFF)
PRODUCT_FIELDS = (
    "code",
    "name",
    "name_zh_hans",
    "min_amount",
    "max_amount",
    "min_term_months",
    "max_term_months",
)
PRODUCTS = (  # the last column: collateral required
    ("FARMER", "Farmer micro loan", "农户小额贷款", 10_000, 300_000, 1, 36, False),
    ("MERCHANT", "Merchant micro loan", "商户贷", 10_000, 500_000, 1, 36, False),
    ("STARTUP", "Start-up guaranteed loan", "创业担保贷款", 10_000, 300_000, 6, 36, False),
    ("SME", "Small-enterprise loan", "小企业贷款", 100_000, 3_000_000, 12, 60, True),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"
GIVEN_NAMES = ("建华", "秀英", "志刚", "桂兰", "国强", "玉梅", "海燕", "德明", "春生", "丽娟")
FIRM_NAMES = ("顺发", "兴隆", "鑫源", "福满", "宏达", "丰收", "聚德", "惠民", "金穗", "永盛")
REGIONS = ("411421", "411422", "411423")  # county codes in resident IDs and credit codes
TOWNS = ("城关镇", "人和镇", "龙塘镇", "北关镇", "程庄镇", "孙六镇")
STREETS = ("人民路", "建设路", "解放街", "东大街")
# industry (GB/T 4754 section): weight, trade in a firm's name, products, purpose of the loan
TRADES: dict[str, tuple[int, str, tuple[str, ...], str]] = {
    Industry.A: (24, "种植专业合作社", ("FARMER", "SME"), "Seed, fertiliser and machinery hire"),
    Industry.F: (22, "商贸有限公司", ("MERCHANT", "SME"), "Restock goods for the festival season"),
    Industry.H: (18, "饭店", ("MERCHANT", "STARTUP"), "Renovate the dining room and kitchen"),
    Industry.C: (18, "食品加工厂", ("SME", "MERCHANT"), "Raw materials for a confirmed order"),
    Industry.O: (12, "汽车修理部", ("STARTUP", "MERCHANT"), "Diagnostic equipment and spare parts"),
    Industry.E: (3, "建筑装饰工程队", ("MERCHANT",), "Working capital for a building contract"),
    Industry.G: (2, "物流运输部", ("MERCHANT",), "A second delivery lorry"),
}
COMMENTS: dict[str, str] = {
    ReturnReason.MISSING_DOCUMENTS: "Please add the missing documents and redo the figures.",
    ReturnReason.INCONSISTENT_FIGURES: "Cash flow does not cover the instalments.",
    ReturnReason.OTHER: "The borrower no longer needs the loan.",
}


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


class DemoDataError(Exception):
    """The demo cannot be loaded as designed (e.g. its users exist already)."""


Route = Callable[[Loan, Cast], Loan]


@dataclass(frozen=True)
class Planned:
    """One demo loan: the journey it takes, and anything fixed about its application."""

    route: Route
    branch: str = "B01"
    product: str | None = None
    amount: int | None = None
    complete: bool = True
    attempt: tuple[str, str] | None = None


@dataclass(frozen=True)
class DemoSummary:
    loans_by_state: dict[str, int]
    deviations: int
    usernames: tuple[str, ...]

    def lines(self) -> list[str]:
        states = ", ".join(f"{state} {count}" for state, count in self.loans_by_state.items())
        return [
            f"Loans: {sum(self.loans_by_state.values())} ({states})",
            f"Deviations recorded: {self.deviations}",
            f"Demo users (password: {DEMO_PASSWORD}): {', '.join(self.usernames)}",
        ]


# --- journeys: each takes a new loan, with its cast, to where the demo leaves it -----------


def _reach(state: LoanState) -> Route:
    return lambda loan, cast: advance(loan, state, cast)


def _untouched(loan: Loan, cast: Cast) -> Loan:
    return loan


def _renewed(loan: Loan, cast: Cast) -> Loan:
    """A closed loan renewed (续贷): its renewal waits in intake, linked to it."""
    loan = advance(loan, S.CLOSED, cast)
    act(loan, "loan_renew", cast.manager)
    return loan


def _interviewed(loan: Loan, cast: Cast) -> Loan:
    prepare_for_site_visit(loan, cast, at=timezone.now())
    return loan


def _visited_alone(loan: Loan, cast: Cast) -> Loan:
    """In site visit, with a visit made by one investigator only."""
    loan = advance(loan, S.SITE_VISIT, cast)
    alone = replace(cast, co_investigator=None)  # type: ignore[arg-type]  # the point of it
    prepare_for_review(loan, alone, at=timezone.now())
    return loan


def _excepted(loan: Loan, cast: Cast) -> Loan:
    """In review after a branch head waived the missing third evidence photo."""
    head = User.objects.get(username="head1")
    return exception_for_missing_evidence(advance(loan, S.SITE_VISIT, cast), cast, head)


def _awaiting_exception(loan: Loan, cast: Cast) -> Loan:
    """In site visit, one photo short, with an exception request waiting for the branch head."""
    loan = advance(loan, S.SITE_VISIT, cast)
    exception_requested_for_missing_evidence(loan, cast)
    return loan


def _then(state: LoanState, name: str, part: str, reason: str, again: LoanState | None) -> Route:
    """Take the loan to ``state``, where ``part`` of the cast performs ``name``; then on again."""

    def route(loan: Loan, cast: Cast) -> Loan:
        loan = advance(loan, state, cast)
        payload = {"reason": reason, "comment": COMMENTS[reason]}
        actor = getattr(cast, part)
        loan = perform_transition(loan, name, actor=actor, payload=payload, channel=Channel.WEB)
        return advance(loan, again, cast) if again else loan

    return route


def _rejected(state: LoanState, part: str) -> Route:
    return _then(state, "reject", part, ReturnReason.INCONSISTENT_FIGURES, None)


def _withdrawn(state: LoanState) -> Route:
    return _then(state, "withdraw", "manager", ReturnReason.OTHER, None)


def _returned(state: LoanState, name: str, part: str, again: LoanState) -> Route:
    """Returned for revision once, then taken forward again."""
    return _then(state, name, part, ReturnReason.MISSING_DOCUMENTS, again)


# How many loans take each journey. ``attempt``: a part of the cast (or a username) then tries
# a transition that the engine refuses and records as a deviation.
PLAN: tuple[tuple[Planned, int], ...] = (
    (Planned(_untouched, complete=False), 1),  # half-filled application, no interview
    (Planned(_untouched, complete=False, attempt=("manager", "start_site_visit")), 1),
    (Planned(_untouched, attempt=("manager", "start_site_visit")), 1),  # no interview yet
    (Planned(_untouched), 1),
    (Planned(_interviewed), 1),
    (Planned(_interviewed, attempt=("manager9", "start_site_visit")), 1),  # another branch
    (Planned(_reach(S.SITE_VISIT)), 2),
    (Planned(_awaiting_exception), 1),  # the branch head has a request to decide
    (Planned(_reach(S.SITE_VISIT), attempt=("co_investigator", "withdraw")), 1),  # not theirs
    (Planned(_visited_alone, attempt=("manager", "submit_for_review")), 1),
    (Planned(_returned(S.SITE_VISIT, "return_to_intake", "manager", S.SITE_VISIT)), 1),
    (Planned(_reach(S.REVIEW)), 2),
    (Planned(_excepted), 1),  # a soft check passed by a policy exception
    (Planned(_reach(S.REVIEW), attempt=("officer", "disburse")), 1),  # wrong state
    (Planned(_reach(S.SITE_VISIT), attempt=("co_investigator", "submit_for_review")), 1),
    (Planned(_returned(S.REVIEW, "return_to_site_visit", "reviewer", S.APPROVAL)), 1),
    (Planned(_reach(S.APPROVAL)), 3),
    (Planned(_reach(S.APPROVAL), attempt=("manager", "approve")), 1),  # wrong role
    (Planned(_reach(S.APPROVAL), "B01", "SME", 450_000, attempt=("approver1", "approve")), 1),
    (Planned(_returned(S.APPROVAL, "return_to_review", "approver", S.DISBURSEMENT)), 1),
    (Planned(_reach(S.DISBURSEMENT)), 4),
    (Planned(_reach(S.DISBURSEMENT), attempt=("officer", "disburse")), 1),  # no contract yet
    (Planned(_returned(S.DISBURSEMENT, "return_to_approval", "officer", S.POST_LOAN)), 1),
    (Planned(_reach(S.POST_LOAN)), 7),
    (Planned(_reach(S.CLOSED)), 6),
    (Planned(_renewed), 1),
    (Planned(_rejected(S.REVIEW, "reviewer")), 3),
    (Planned(_rejected(S.APPROVAL, "approver")), 2),
    *((Planned(_withdrawn(state)), 1) for state in HAPPY_PATH[:5]),  # intake … disbursement
    (Planned(_untouched, "B02"), 1),  # B02 has no reviewer: its loans stay early
    (Planned(_interviewed, "B02"), 2),
    (Planned(_reach(S.SITE_VISIT), "B02"), 3),
)


# --- people, products, borrowers -----------------------------------------------------------


def _create_staff(branches: dict[str, Branch]) -> None:
    password = make_password(DEMO_PASSWORD)  # hashed once: the demo users share one password
    for username, surname, given, role, code, level in STAFF:
        user = User.objects.create(
            username=username,
            email=f"{username}@loanflow.demo",
            password=password,
            last_name=surname,
            first_name=given,
            branch=branches[code] if code else None,
            authority_level=level,
            is_staff=role == Role.ADMINISTRATOR,
            is_superuser=role == Role.ADMINISTRATOR,
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])


def _create_products() -> None:
    for *fields, collateral in PRODUCTS:
        LoanProduct.objects.create(
            **dict(zip(PRODUCT_FIELDS, fields, strict=True)), collateral_required=collateral
        )


def _identity(rng: random.Random, kind: str) -> str:
    """A resident ID number or a unified social credit code, with its check character."""
    if kind == BorrowerKind.INDIVIDUAL:
        born = f"{rng.randint(1962, 1998)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = f"{rng.choice(REGIONS)}{born}{rng.randint(1, 999):03d}"
        return body + resident_id_check_character(body)
    organisation = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    body = f"9{rng.choice('12')}{rng.choice(REGIONS)}{organisation}"  # firm or sole trader
    return body + uscc_check_character(body)


def _create_borrower(rng: random.Random, branch: Branch, taken: set[str]) -> Borrower:
    industry = rng.choices(list(TRADES), weights=[row[0] for row in TRADES.values()])[0]
    kind = rng.choice([BorrowerKind.INDIVIDUAL] * 3 + [BorrowerKind.ENTERPRISE] * 2)
    town = rng.choice(TOWNS)
    person = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    firm = f"{town}{rng.choice(FIRM_NAMES)}{TRADES[industry][1]}"
    id_number = _identity(rng, kind)
    while id_number in taken:
        id_number = _identity(rng, kind)
    taken.add(id_number)
    return services.borrower_create(
        branch_id=branch.pk,
        kind=kind,
        name=person if kind == BorrowerKind.INDIVIDUAL else firm,
        id_number=id_number,
        phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        address=f"{town}{rng.choice(STREETS)}{rng.randint(1, 200)}号",
        industry=industry,
    )


# --- loans ---------------------------------------------------------------------------------


def _amount(rng: random.Random, product: LoanProduct) -> Decimal:
    """Mostly 50k–300k; some small-enterprise loans larger; always within the product."""
    if product.collateral_required and rng.random() < 0.3:
        amount = Decimal(rng.randrange(500_000, 1_000_001, 50_000))
    else:
        amount = Decimal(rng.randrange(50_000, 300_001, 10_000))
    return min(max(amount, product.min_amount), product.max_amount)


def _application(
    rng: random.Random, products: dict[str, LoanProduct], borrower: Borrower, planned: Planned
) -> dict[str, Any]:
    _weight, _trade, product_codes, purpose = TRADES[borrower.industry]
    product = products[planned.product or rng.choice(product_codes)]
    amount = Decimal(planned.amount) if planned.amount else _amount(rng, product)
    terms = [term for term in (6, 12, 12, 24, 36, 48, 60) if product.term_in_range(term)]
    guarantees = [GuaranteeType.MORTGAGE, GuaranteeType.PLEDGE]
    if not product.collateral_required:
        guarantees += [GuaranteeType.CREDIT, GuaranteeType.GUARANTEE, GuaranteeType.JOINT_GUARANTEE]
    return {
        "product": product,
        "amount": amount,
        "term_months": rng.choice(terms) if planned.complete else None,
        "purpose": purpose if planned.complete else "",
        "repayment_method": rng.choice(list(RepaymentMethod)),
        "guarantee_type": rng.choice(guarantees),
    }


def _cast(rng: random.Random, staff: dict[str, User], branch: str, amount: Decimal) -> Cast:
    if branch != DEMO_BRANCH_CODE:  # the sub-office's manager only plays the manager's part
        return Cast(*[staff["manager9"]] * 5)
    manager, co_investigator = rng.sample([staff["manager1"], staff["manager2"]], 2)
    approver = staff["approver1"] if amount <= 100_000 else staff["approver3"]
    return Cast(manager, co_investigator, staff["reviewer1"], approver, staff["officer1"])


def _create_loans(rng: random.Random, plan: list[Planned], borrowers: list[Borrower]) -> None:
    """Outside any transaction: every engine transition runs in its own, durable one."""
    staff = {user.username: user for user in User.objects.filter(username__in=DEMO_USERNAMES)}
    products = {product.code: product for product in LoanProduct.objects.all()}
    for planned, borrower in zip(plan, borrowers, strict=True):
        application = _application(rng, products, borrower, planned)
        cast = _cast(rng, staff, planned.branch, application["amount"])
        loan = services.loan_create(borrower=borrower, account_manager=cast.manager, **application)
        loan = planned.route(loan, cast)
        if planned.attempt:
            who, name = planned.attempt
            _attempt(loan, staff.get(who) or getattr(cast, who), name)


def _attempt(loan: Loan, actor: User, name: str) -> None:
    """``actor`` tries ``name``; the engine must refuse and record it."""
    payload = {"reason": ReturnReason.OTHER, "comment": "Tried in the demo."}
    try:
        perform_transition(loan, name, actor=actor, payload=payload, channel=Channel.API)
    except TransitionRefused:
        return
    raise DemoDataError(f"{actor} was allowed to {name} {loan}; the demo expected a refusal.")


# --- the whole load ------------------------------------------------------------------------


@transaction.atomic
def _create_setup(rng: random.Random, plan: list[Planned]) -> list[Borrower]:
    create_policy_version(admin=None)
    branches: dict[str, Branch] = {}
    for code, name, name_zh_hans, parent in BRANCHES:
        branches[code] = Branch.objects.create(
            code=code,
            name=name,
            name_zh_hans=name_zh_hans,
            parent=branches[parent] if parent else None,
        )
    _create_staff(branches)
    _create_products()
    taken = set(Borrower.objects.values_list("id_number", flat=True))
    return [_create_borrower(rng, branches[planned.branch], taken) for planned in plan]


def load_demo_data(*, stdout: Writer | None = None, seed: int = DEMO_SEED) -> DemoSummary | None:
    """Load the demo into an empty database; None, changing nothing, when it is there already."""
    if Branch.objects.filter(code=DEMO_BRANCH_CODE).exists():
        if stdout is not None:
            stdout.write(
                f"Demo data already loaded (branch {DEMO_BRANCH_CODE}); nothing changed.\n"
            )
        return None
    taken_names = User.objects.filter(username__in=DEMO_USERNAMES).values_list(
        "username", flat=True
    )
    if taken_names:
        raise DemoDataError(f"Demo users exist already: {', '.join(sorted(taken_names))}.")
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    plan = [planned for planned, count in PLAN for _ in range(count)]
    rng.shuffle(plan)
    borrowers = _create_setup(rng, plan)
    _create_loans(rng, plan, borrowers)
    service_some_disbursed_loans()
    extend_one_disbursed_loan()
    classify_some_disbursed_loans(inspector=User.objects.get(username="manager1"))
    collection_case_in_arrears()
    make_work_late()
    guarantees_recorded()
    watch_list_opened()
    counts = Counter(Loan.objects.values_list("state", flat=True))
    return DemoSummary(
        loans_by_state={state.value: counts[state.value] for state in LoanState},
        deviations=Deviation.objects.count(),
        usernames=DEMO_USERNAMES,
    )
