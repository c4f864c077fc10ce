"""Stage records: what the people of each stage write into the loan's file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from loans import risk
from loans.choices import DocumentKind, PaymentMethod
from loans.models import (
    ApprovalCondition,
    CollateralValuation,
    Contract,
    CreditAuthorisation,
    CreditReport,
    Document,
    Drawdown,
    Interview,
    Loan,
    Review,
    SiteVisit,
    User,
)
from loans.models.documents import validate_upload
from loans.policy import policy_in_force
from loans.portfolio import position

M = TypeVar("M", bound=models.Model)


def _validated(record: M) -> M:
    """Save ``record`` after the model's own validation (raises ValidationError)."""
    record.full_clean()
    record.save()
    return record


def interview_record(
    *, loan: Loan, interviewer: User, held_at: datetime, location: str, notes: str
) -> Interview:
    return _validated(
        Interview(
            loan=loan, interviewer=interviewer, held_at=held_at, location=location, notes=notes
        )
    )


def credit_authorisation_record(
    *, loan: Loan, signed_at: datetime, recorded_by: User, document: Document | None = None
) -> CreditAuthorisation:
    return CreditAuthorisation.objects.create(
        loan=loan, signed_at=signed_at, recorded_by=recorded_by, document=document
    )


def document_upload(
    *,
    loan: Loan,
    kind: str,
    file: Any,
    uploaded_by: User,
    site_visit: SiteVisit | None = None,
) -> Document:
    """Store an uploaded file after checking its size, extension and content."""
    try:
        validate_upload(file, kind)
    except ValidationError as error:
        raise ValidationError({"file": error}) from None
    if site_visit is not None and site_visit.loan_id != loan.pk:
        raise ValidationError({"site_visit": "That site visit belongs to another loan."})
    return Document.objects.create(
        loan=loan,
        site_visit=site_visit,
        kind=DocumentKind(kind),
        file=file,
        original_name=file.name,
        size=file.size,
        uploaded_by=uploaded_by,
    )


def site_visit_record(
    *,
    loan: Loan,
    lead_investigator: User,
    visited_at: datetime,
    co_investigator: User | None = None,
    location: str,
    business: str = "",
    cash_flow: str = "",
    repayment_source: str = "",
    guarantee: str = "",
) -> SiteVisit:
    return _validated(
        SiteVisit(
            loan=loan,
            lead_investigator=lead_investigator,
            co_investigator=co_investigator,
            visited_at=visited_at,
            location=location,
            business=business,
            cash_flow=cash_flow,
            repayment_source=repayment_source,
            guarantee=guarantee,
        )
    )


def collateral_valuation_record(
    *, loan: Loan, description: str, value: Decimal, appraiser: str, valued_at: date, by: User
) -> CollateralValuation:
    return _validated(
        CollateralValuation(
            loan=loan,
            description=description,
            value=value,
            appraiser=appraiser,
            valued_at=valued_at,
            recorded_by=by,
        )
    )


def credit_report_record(
    *, loan: Loan, queried_by: User, result: str, overdue_accounts: int = 0, notes: str = ""
) -> CreditReport:
    return _validated(
        CreditReport(
            loan=loan,
            queried_at=timezone.now(),
            queried_by=queried_by,
            result=result,
            overdue_accounts=overdue_accounts,
            notes=notes,
        )
    )


def review_write(
    *,
    loan: Loan,
    reviewer: User,
    monthly_income: Decimal,
    monthly_debt_payments: Decimal,
    opinion: str,
) -> Review:
    """Write the reviewer's assessment; debt-to-income, the risk score and the portfolio
    position are computed here, from the credit report on file and the policy in force."""
    report = loan.credit_reports.first()
    if report is None:
        raise ValidationError(
            {"credit_report": "Record the credit report result before writing the review."}
        )
    if monthly_income <= 0:
        raise ValidationError({"monthly_income": "The monthly income must be above zero."})
    policy = policy_in_force()
    dti = risk.debt_to_income(monthly_debt_payments, monthly_income)
    portfolio = position(loan, policy)
    industry = next((c for c in portfolio.concentrations if c.dimension == "industry"), None)
    score, factors = risk.score(
        dti=dti,
        credit_result=report.result,
        overdue_accounts=report.overdue_accounts,
        guarantee_type=loan.guarantee_type,
        industry_share=industry.share if industry else Decimal(0),
        industry_limit=policy.industry_concentration_limit,
        weights=policy.score_weights,
    )
    return _validated(
        Review(
            loan=loan,
            reviewer=reviewer,
            monthly_income=monthly_income,
            monthly_debt_payments=monthly_debt_payments,
            debt_to_income=dti,
            risk_score=score,
            risk_factors=factors,
            opinion=opinion,
            portfolio=portfolio.as_record(),
        )
    )


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


def condition_fulfil(*, condition: ApprovalCondition, by: User, note: str) -> ApprovalCondition:
    if not note.strip():
        raise ValidationError({"fulfilment_note": "Say how the condition was fulfilled."})
    with transaction.atomic():
        locked = ApprovalCondition.objects.select_for_update().get(pk=condition.pk)
        if locked.fulfilled_at is None:
            locked.fulfilled_at = timezone.now()
            locked.fulfilled_by = by
            locked.fulfilment_note = note.strip()
            locked.save()
    return locked


def drawdown_request(
    *,
    loan: Loan,
    amount: Decimal,
    method: str,
    requested_by: User,
    counterparty_name: str = "",
    counterparty_account: str = "",
) -> Drawdown:
    return _validated(
        Drawdown(
            loan=loan,
            amount=amount,
            method=PaymentMethod(method),
            counterparty_name=counterparty_name,
            counterparty_account=counterparty_account,
            requested_by=requested_by,
            requested_at=timezone.now(),
        )
    )
