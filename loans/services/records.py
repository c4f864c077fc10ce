"""Stage records: the writes of the actions that add them (declared in loans/workflow.py).

Each function is called by the engine only (``workflow.actions.perform_action``), inside its
transaction, holding the loan's row lock, after every check of the action passed: ``ctx.obj`` is
the locked loan, ``ctx.actor`` the person, ``ctx.payload`` what they entered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from loans import risk
from loans.checks.entry import local_day
from loans.choices import DocumentKind, PaymentMethod
from loans.models import (
    ApprovalCondition,
    CollateralValuation,
    Contract,
    CreditAuthorisation,
    CreditReport,
    Document,
    Drawdown,
    Guarantor,
    Interview,
    Review,
    SiteVisit,
)
from loans.models.documents import validate_upload
from loans.models.site_visit import REPORT_SECTIONS
from loans.portfolio import position
from loans.servicing import pricing
from loans.uploads import capture_time, display_name, make_thumbnail
from workflow.checks import CheckContext

M = TypeVar("M", bound=models.Model)


def validated(record: M) -> M:
    """Save ``record`` after the model's own validation (raises ValidationError)."""
    record.full_clean()
    record.save()
    return record


def interview_record(ctx: CheckContext) -> Interview:
    data = ctx.payload
    return validated(
        Interview(
            loan=ctx.obj,
            interviewer=ctx.actor,
            held_at=data["held_at"],
            location=data["location"],
            notes=data["notes"],
        )
    )


def credit_authorisation_record(ctx: CheckContext) -> CreditAuthorisation:
    return validated(
        CreditAuthorisation(
            loan=ctx.obj,
            signed_at=ctx.payload["signed_at"],
            written_consent=ctx.payload.get("written_consent") is True,
            purpose=ctx.payload.get("purpose") or "",
            recorded_by=ctx.actor,
            document=ctx.payload.get("document"),
        )
    )


def document_upload(ctx: CheckContext) -> Document:
    """Store an uploaded file after checking its size, extension and decoded content, under a
    random name; the name the person gave it is kept as data. A photo gets its thumbnail beside
    it and the moment it was taken from its EXIF (loans/uploads.py)."""
    file, kind = ctx.payload["file"], ctx.payload["kind"]
    try:
        validate_upload(file, kind)
    except ValidationError as error:
        raise ValidationError({"file": error}) from None
    document = Document(
        loan=ctx.obj,
        site_visit=ctx.payload.get("site_visit"),
        kind=DocumentKind(kind),
        file=file,
        original_name=display_name(file.name),
        size=file.size,
        uploaded_by=ctx.actor,
        captured_at=capture_time(file),
    )
    thumbnail = make_thumbnail(file)
    if thumbnail is not None:  # stored beside the original when the record is saved
        document.thumbnail = thumbnail
    return validated(document)


def site_visit_record(ctx: CheckContext) -> SiteVisit:
    data = ctx.payload
    return validated(
        SiteVisit(
            loan=ctx.obj,
            lead_investigator=ctx.actor,
            co_investigator=data.get("co_investigator"),
            visited_at=data["visited_at"],
            location=data["location"],
            **{name: data.get(name, "") for name in REPORT_SECTIONS},
        )
    )


def site_visit_confirm(ctx: CheckContext) -> SiteVisit:
    """The co-investigator confirms, with their own login, that they made the visit."""
    visit: SiteVisit = ctx.payload["record"]
    visit.co_investigator_confirmed_at = ctx.now
    visit.save(update_fields=["co_investigator_confirmed_at"])
    return visit


def collateral_valuation_record(ctx: CheckContext) -> CollateralValuation:
    data = ctx.payload
    return validated(
        CollateralValuation(
            loan=ctx.obj,
            description=data["description"],
            value=data["value"],
            appraiser=data["appraiser"],
            valued_at=data["valued_at"],
            recorded_by=ctx.actor,
        )
    )


def guarantor_record(ctx: CheckContext) -> Guarantor:
    data = ctx.payload
    return validated(
        Guarantor(
            loan=ctx.obj,
            kind=data["kind"],
            name=str(data["name"]).strip(),
            id_number=data["id_number"],
            phone=data.get("phone") or "",
            amount=data["amount"],
            signed_on=data["signed_on"],
            recorded_by=ctx.actor,
        )
    )


def credit_report_record(ctx: CheckContext) -> CreditReport:
    data = ctx.payload
    return validated(
        CreditReport(
            loan=ctx.obj,
            queried_at=ctx.now,
            queried_by=ctx.actor,
            result=data["result"],
            overdue_accounts=data.get("overdue_accounts") or 0,
            notes=data.get("notes", ""),
        )
    )


def review_write(ctx: CheckContext) -> Review:
    """Write the reviewer's assessment; debt-to-income, the risk score and the portfolio
    position are computed here, from the credit report on file and the policy in force."""
    review = Review(
        loan=ctx.obj,
        reviewer=ctx.actor,
        monthly_income=ctx.payload["monthly_income"],
        monthly_debt_payments=ctx.payload["monthly_debt_payments"],
        opinion=ctx.payload["opinion"],
    )
    assess(review, ctx)
    return validated(review)


def assess(review: Review, ctx: CheckContext) -> None:
    """Compute the review's debt-to-income, risk score and portfolio position."""
    loan, policy = ctx.obj, ctx.policy
    report = loan.credit_reports.first()
    if report is None:
        raise ValidationError(
            {"credit_report": "Record the credit report result before writing the review."}
        )
    dti = risk.debt_to_income(review.monthly_debt_payments, review.monthly_income)
    portfolio = position(loan, policy)
    industry = next((c for c in portfolio.concentrations if c.dimension == "industry"), None)
    review.debt_to_income = dti
    review.risk_score, review.risk_factors = risk.score(
        dti=dti,
        credit_result=report.result,
        overdue_accounts=report.overdue_accounts,
        guarantee_type=loan.guarantee_type,
        industry_share=industry.share if industry else Decimal(0),
        industry_limit=policy.industry_concentration_limit,
        weights=policy.score_weights,
    )
    review.portfolio = portfolio.as_record()


def contract_record(ctx: CheckContext) -> Contract:
    """Record the contract as a new version; earlier versions stay as they were."""
    latest = ctx.obj.contract
    data = ctx.payload
    return validated(
        Contract(
            loan=ctx.obj,
            version=latest.version + 1 if latest else 1,
            number=str(data["number"]).strip(),
            signed_at=data.get("signed_at"),
            signed_face_to_face=bool(data.get("signed_face_to_face")),
            witness=data.get("witness"),
            recorded_by=ctx.actor,
            recorded_at=ctx.now,
            **_pricing(ctx),
        )
    )


def _pricing(ctx: CheckContext) -> dict[str, Any]:
    """The rate and its basis on the day the contract is recorded (loans/servicing/pricing.py)."""
    loan = ctx.obj
    if not loan.term_months:
        return {}
    found = pricing.price(loan, ctx.policy, local_day(ctx.now))
    return {
        "annual_rate": found.annual_rate,
        "lpr_tenor": found.tenor,
        "lpr_rate": found.lpr_rate,
        "lpr_date": found.lpr_date,
        "spread_bps": found.spread_bps,
    }


def condition_fulfil(ctx: CheckContext) -> ApprovalCondition:
    condition: ApprovalCondition = ctx.payload["record"]
    condition.fulfilled_at = ctx.now
    condition.fulfilled_by = ctx.actor
    condition.fulfilment_note = str(ctx.payload["fulfilment_note"]).strip()
    condition.save()
    return condition


def drawdown_request(ctx: CheckContext) -> Drawdown:
    data = ctx.payload
    return validated(
        Drawdown(
            loan=ctx.obj,
            amount=data["amount"],
            method=PaymentMethod(data["method"]),
            counterparty_name=data.get("counterparty_name", ""),
            counterparty_account=data.get("counterparty_account", ""),
            direct_payment_ground=data.get("direct_payment_ground") or "",
            requested_by=ctx.actor,
            requested_at=ctx.now,
        )
    )
