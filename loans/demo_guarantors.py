"""Demo data for guarantors (保证人): a few guarantee loans with their guarantors recorded in the
file through the engine, among them one guarantor behind four disbursed loans and two borrowers
guaranteeing each other, so the watch list shows both guarantor signals (watch/rules.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from loans import services
from loans.choices import BorrowerKind, GuaranteeType, GuarantorKind, Industry, RepaymentMethod
from loans.journeys import Cast, act, advance
from loans.models import Borrower, Loan, LoanProduct, User
from loans.states import LoanState
from loans.validators import resident_id_check_character

# A shopkeeper who signs for four neighbours' loans (the policy allows three open ones).
BUSY_GUARANTOR = ("周建国", "41142119680512003")
# Borrowers: name, resident ID body (17 digits), what they borrow for.
NEIGHBOURS = (
    ("赵秀兰", "41142119760314012", "Restock the grocery before the spring festival"),
    ("钱志强", "41142119810722013", "A cold-storage cabinet for the butcher's stall"),
    ("孙丽华", "41142119790905024", "Fabric and thread for the tailoring shop"),
    ("李建军", "41142119830117015", "Tyres and parts for the repair shop"),
)
# Two traders who guarantee each other's loan (互保).
PAIR = (
    ("吴海燕", "41142119850402026", "Stock for the fruit wholesale stall"),
    ("郑国庆", "41142119771001017", "A second van for the fruit deliveries"),
)


def _number(body: str) -> str:
    return body + resident_id_check_character(body)


def _borrower(name: str, body: str, cast: Cast) -> Borrower:
    assert cast.manager.branch_id is not None  # noqa: S101 - the demo's managers have a branch
    return services.borrower_create(
        branch_id=cast.manager.branch_id,
        kind=BorrowerKind.INDIVIDUAL,
        name=name,
        id_number=_number(body),
        phone="13800000000",
        address="城关镇人民路",
        industry=Industry.F,
    )


def _loan(borrower: Borrower, cast: Cast, purpose: str) -> Loan:
    return services.loan_create(
        borrower=borrower,
        account_manager=cast.manager,
        product=LoanProduct.objects.get(code="MERCHANT"),
        amount=Decimal(80_000),
        term_months=12,
        purpose=purpose,
        repayment_method=RepaymentMethod.EQUAL_INSTALMENTS,
        guarantee_type=GuaranteeType.GUARANTEE,
    )


def _guarantee(loan: Loan, cast: Cast, name: str, number: str) -> None:
    act(
        loan,
        "guarantor_record",
        cast.manager,
        kind=GuarantorKind.PERSON,
        name=name,
        id_number=number,
        phone="13900000000",
        amount=loan.amount,
        signed_on=timezone.localdate(),
    )


def guarantees_recorded() -> list[Loan]:
    """Four loans disbursed under one guarantor, and a mutual-guarantee pair in site visit."""
    names = ("manager1", "manager2", "reviewer1", "approver1", "officer1")
    staff = {user.username: user for user in User.objects.filter(username__in=names)}
    casts = [
        Cast(
            staff[manager],
            staff[other],
            staff["reviewer1"],
            staff["approver1"],
            staff["officer1"],
        )
        for manager, other in (("manager1", "manager2"), ("manager2", "manager1"))
    ]
    loans = []
    for index, (name, body, purpose) in enumerate(NEIGHBOURS):
        cast = casts[index % 2]
        loan = _loan(_borrower(name, body, cast), cast, purpose)
        _guarantee(loan, cast, BUSY_GUARANTOR[0], _number(BUSY_GUARANTOR[1]))
        loans.append(advance(loan, LoanState.POST_LOAN, cast))
    pair = [
        (_borrower(name, body, casts[index]), purpose, casts[index])
        for index, (name, body, purpose) in enumerate(PAIR)
    ]
    for index, (borrower, purpose, cast) in enumerate(pair):
        other = pair[1 - index][0]
        loan = _loan(borrower, cast, purpose)
        _guarantee(loan, cast, other.name, other.id_number)
        loans.append(advance(loan, LoanState.SITE_VISIT, cast))
    return loans
