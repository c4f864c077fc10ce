"""Walking a loan along the happy path with the records each stage needs.

Used by the demo data and by tests that need a loan in a given stage. Every stage change goes
through the workflow engine, so the audit trail of a loan made here is a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from loans import services
from loans.models import Loan, User
from loans.workflow import LoanState
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


@dataclass(frozen=True)
class Cast:
    """The people who take a loan through its stages, one per part."""

    manager: User
    co_investigator: User
    reviewer: User
    approver: User
    officer: User


def prepare_for_site_visit(loan: Loan, cast: Cast, *, at: datetime) -> None:
    services.interview_record(
        loan=loan,
        interviewer=cast.manager,
        held_at=at,
        location="branch office",
        notes="Borrower interviewed face to face; purpose and repayment source discussed.",
    )


def prepare_for_review(loan: Loan, cast: Cast, *, at: datetime) -> None:
    services.site_visit_record(
        loan=loan,
        lead_investigator=cast.manager,
        co_investigator=cast.co_investigator,
        visited_at=at,
        location=loan.borrower.address or "borrower's business premises",
        findings="Business operating normally; stock and cash flow match the application.",
    )


def prepare_for_post_loan(loan: Loan, cast: Cast, *, at: datetime) -> None:
    services.contract_record(
        loan=loan,
        number=f"C-{loan.reference}",
        signed_at=at,
        signed_face_to_face=True,
        witness=cast.officer,
    )


# Transition to leave each stage forward, who performs it, and what it needs on file first.
_FORWARD = {
    LoanState.INTAKE: ("start_site_visit", "manager", prepare_for_site_visit),
    LoanState.SITE_VISIT: ("submit_for_review", "manager", prepare_for_review),
    LoanState.REVIEW: ("submit_for_approval", "reviewer", None),
    LoanState.APPROVAL: ("approve", "approver", None),
    LoanState.DISBURSEMENT: ("disburse", "officer", prepare_for_post_loan),
    LoanState.POST_LOAN: ("close", "manager", None),
}


def advance(loan: Loan, target: LoanState, cast: Cast, *, start: datetime | None = None) -> Loan:
    """Move ``loan`` forward along the happy path until it reaches ``target``."""
    if target not in HAPPY_PATH:
        raise ValueError(f"{target} is not on the happy path.")
    at = start or timezone.now()
    while HAPPY_PATH.index(LoanState(loan.state)) < HAPPY_PATH.index(target):
        name, part, prepare = _FORWARD[LoanState(loan.state)]
        if prepare is not None:
            prepare(loan, cast, at=at)
        loan = perform_transition(loan, name, actor=getattr(cast, part), channel=Channel.SYSTEM)
        at += timedelta(hours=1)
    return loan
