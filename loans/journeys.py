"""Walking a loan along the happy path with the records each stage needs.

Used by the demo data and by tests that need a loan in a given stage. Every stage change goes
through the workflow engine, so the audit trail of a loan made here is a real one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from loans.choices import (
    COLLATERAL_GUARANTEES,
    CreditQueryPurpose,
    DirectPaymentGround,
    DocumentKind,
    InspectionKind,
    InspectionMode,
    PaymentMethod,
)
from loans.models import Loan, User
from loans.policy import policy_in_force
from loans.states import LoanState
from workflow.actions import perform_action
from workflow.engine import perform_transition
from workflow.models import Channel

HAPPY_PATH = [
    LoanState.INTAKE,
    LoanState.SITE_VISIT,
    LoanState.REVIEW,
    LoanState.APPROVAL,
    LoanState.DISBURSEMENT,
    LoanState.POST_LOAN,
    LoanState.CLOSED,
]


Preparation = Callable[..., None]  # (loan, cast, *, at) -> None


@dataclass(frozen=True)
class Cast:
    """The people who take a loan through its stages, one per part."""

    manager: User
    co_investigator: User
    reviewer: User
    approver: User
    officer: User


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (120, 140, 90)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# Small files that pass the upload checks (they decode): evidence photos and scans in demos.
EVIDENCE_PHOTO = _photo()
EVIDENCE_PDF = _pdf()


def act(loan: Loan, name: str, actor: User, /, **data: Any) -> Any:
    """Perform action ``name`` on ``loan`` through the engine, as the system's own journey (the
    data may hold a field called ``name``, e.g. a guarantor's)."""
    return perform_action(loan, name, actor=actor, data=data, channel=Channel.SYSTEM)


def prepare_for_site_visit(loan: Loan, cast: Cast, *, at: datetime) -> None:
    act(
        loan,
        "credit_authorisation_record",
        cast.manager,
        signed_at=at,
        written_consent=True,
        purpose=CreditQueryPurpose.LOAN_APPLICATION,
    )
    act(
        loan,
        "interview_record",
        cast.manager,
        held_at=at,
        location="branch office",
        notes="Borrower interviewed face to face; purpose and repayment source discussed.",
    )


def prepare_for_review(loan: Loan, cast: Cast, *, at: datetime) -> None:
    visit = act(
        loan,
        "site_visit_record",
        cast.manager,
        co_investigator=cast.co_investigator,
        visited_at=at,
        location=loan.borrower.address or "borrower's business premises",
        business="Operating normally; stock matches the stated turnover.",
        cash_flow="Monthly takings checked against bank statements for six months.",
        repayment_source="Operating income; household savings as a second source.",
        guarantee="Guarantor's identity and income verified in person.",
    )
    if cast.co_investigator is not None:
        act(loan, "site_visit_confirm", cast.co_investigator, record=visit)
    policy = policy_in_force()
    for number in range(policy.evidence_photo_count):
        act(
            loan,
            "document_upload",
            cast.manager,
            kind=DocumentKind.PHOTO,
            file=ContentFile(EVIDENCE_PHOTO, name=f"site-{number + 1}.jpg"),
            site_visit=visit,
        )
    if loan.guarantee_type in COLLATERAL_GUARANTEES or (
        loan.product is not None and loan.product.collateral_required
    ):
        act(
            loan,
            "collateral_valuation_record",
            cast.manager,
            description="Shop premises, ground floor",
            value=(loan.amount or Decimal(0)) * 2,
            appraiser="County Appraisal Co.",
            valued_at=timezone.localdate(at),
        )


def prepare_for_approval(loan: Loan, cast: Cast, *, at: datetime) -> None:
    act(loan, "credit_report_record", cast.reviewer, result="clean")
    amount = loan.amount or Decimal(0)
    months = loan.term_months or 12
    act(
        loan,
        "review_write",
        cast.reviewer,
        monthly_income=max(amount / 8, Decimal(5000)).quantize(Decimal("0.01")),
        monthly_debt_payments=(amount / months).quantize(Decimal("0.01")),
        opinion="Figures consistent; repayment capacity adequate. Recommend approval.",
    )


def prepare_for_post_loan(loan: Loan, cast: Cast, *, at: datetime) -> None:
    act(
        loan,
        "contract_record",
        cast.officer,
        number=f"C-{loan.reference}",
        signed_at=at,
        signed_face_to_face=True,
        witness=cast.manager,
    )
    for condition in loan.approval_conditions.all():
        act(loan, "condition_fulfil", cast.officer, record=condition, fulfilment_note="In person.")
    policy = policy_in_force()
    amount = loan.amount or Decimal(0)
    # Entrusted payment is the default; a small business loan is paid to the borrower directly.
    entrusted = amount > policy.direct_payment_business_use_limit
    act(
        loan,
        "drawdown_request",
        cast.officer,
        amount=amount,
        method=PaymentMethod.ENTRUSTED if entrusted else PaymentMethod.OWN_ACCOUNT,
        counterparty_name="County Building Materials Co." if entrusted else "",
        counterparty_account="6222 0000 0000 1234" if entrusted else "",
        direct_payment_ground="" if entrusted else DirectPaymentGround.BUSINESS_USE,
    )


def prepare_for_closing(loan: Loan, cast: Cast, *, at: datetime) -> None:
    act(
        loan,
        "inspection_record",
        cast.manager,
        kind=InspectionKind.FIRST,
        mode=InspectionMode.ON_SITE,
        inspected_at=timezone.now(),
        findings="Funds used to buy stock as stated; business steady.",
        funds_used_as_stated=True,
    )
    loan.refresh_from_db()
    if loan.outstanding_balance > 0:
        act(loan, "repayment_record", cast.officer, principal=loan.outstanding_balance)


APPROVAL = {
    "conditions": ["The guarantor signs the contract in person."],
    "comment": "Within authority; approved with one condition.",
}

# Transition to leave each stage forward, who performs it, what it needs first, its payload.
_FORWARD: dict[LoanState, tuple[str, str, Preparation | None, dict[str, Any]]] = {
    LoanState.INTAKE: ("start_site_visit", "manager", prepare_for_site_visit, {}),
    LoanState.SITE_VISIT: ("submit_for_review", "manager", prepare_for_review, {}),
    LoanState.REVIEW: ("submit_for_approval", "reviewer", prepare_for_approval, {}),
    LoanState.APPROVAL: ("approve", "approver", None, APPROVAL),
    LoanState.DISBURSEMENT: ("disburse", "officer", prepare_for_post_loan, {}),
    LoanState.POST_LOAN: ("close", "manager", prepare_for_closing, {}),
}


def prepare_to_leave(loan: Loan, cast: Cast) -> Loan:
    """Record what the loan's current stage needs before it can move forward."""
    _name, _part, prepare, _payload = _FORWARD[LoanState(loan.state)]
    if prepare is not None:
        prepare(loan, cast, at=timezone.now())
        loan.refresh_from_db()
    return loan


def forward_step(loan: Loan) -> tuple[str, str, dict[str, Any]]:
    """The forward transition from the loan's stage, the part of the cast performing it, and
    its payload."""
    name, part, _prepare, payload = _FORWARD[LoanState(loan.state)]
    return name, part, payload


def advance(loan: Loan, target: LoanState, cast: Cast) -> Loan:
    """Move ``loan`` forward along the happy path until it reaches ``target``."""
    if target not in HAPPY_PATH:
        raise ValueError(f"{target} is not on the happy path.")
    while HAPPY_PATH.index(LoanState(loan.state)) < HAPPY_PATH.index(target):
        name, part, payload = forward_step(loan)
        loan = prepare_to_leave(loan, cast)
        loan = perform_transition(
            loan, name, actor=getattr(cast, part), payload=payload, channel=Channel.SYSTEM
        )
    return loan
