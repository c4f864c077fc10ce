"""Writes of the loan domain. Stage changes go through workflow.engine.perform_transition only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from loans.models import Borrower, Contract, Interview, Loan, LoanProduct, SiteVisit, User


def borrower_create(
    *, branch_id: int, kind: str, name: str, id_number: str, **fields: str
) -> Borrower:
    """Create a borrower after validating the identity number (raises ValidationError)."""
    borrower = Borrower(branch_id=branch_id, kind=kind, name=name, id_number=id_number, **fields)
    borrower.full_clean()
    borrower.save()
    return borrower


def _next_reference(now: datetime) -> str:
    year = timezone.localtime(now).year
    prefix = f"LF-{year}-"
    last = (
        Loan.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


@transaction.atomic
def loan_create(
    *,
    borrower: Borrower,
    account_manager: User,
    product: LoanProduct | None = None,
    amount: Decimal | None = None,
    term_months: int | None = None,
    purpose: str = "",
    repayment_method: str = "",
    guarantee_type: str = "",
    industry: str = "",
) -> Loan:
    """Open a loan application in intake, in the account manager's branch."""
    if account_manager.branch_id is None:
        raise ValueError("An account manager without a branch cannot open loans.")
    loan: Loan = Loan.objects.create(
        reference=_next_reference(timezone.now()),
        branch_id=account_manager.branch_id,
        borrower=borrower,
        account_manager=account_manager,
        product=product,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        repayment_method=repayment_method,
        guarantee_type=guarantee_type,
        industry=industry or borrower.industry,
    )
    return loan


def interview_record(
    *, loan: Loan, interviewer: User, held_at: datetime, location: str, notes: str
) -> Interview:
    return Interview.objects.create(
        loan=loan, interviewer=interviewer, held_at=held_at, location=location, notes=notes
    )


def site_visit_record(
    *,
    loan: Loan,
    lead_investigator: User,
    co_investigator: User | None,
    visited_at: datetime,
    location: str,
    findings: str,
) -> SiteVisit:
    visit = SiteVisit(
        loan=loan,
        lead_investigator=lead_investigator,
        co_investigator=co_investigator,
        visited_at=visited_at,
        location=location,
        findings=findings,
    )
    visit.full_clean()
    visit.save()
    return visit


def contract_record(
    *,
    loan: Loan,
    number: str,
    signed_at: datetime | None = None,
    signed_face_to_face: bool = False,
    witness: User | None = None,
) -> Contract:
    contract, _created = Contract.objects.update_or_create(
        loan=loan,
        defaults={
            "number": number,
            "signed_at": signed_at,
            "signed_face_to_face": signed_face_to_face,
            "witness": witness,
        },
    )
    return contract
