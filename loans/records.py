"""The stage records people add to a loan's file: who may add each, in which stages, the fields
they fill in, and the service that writes it. The web UI and the API both work from this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans import services
from loans.models import (
    CollateralValuation,
    CreditAuthorisation,
    CreditReport,
    Document,
    Drawdown,
    Inspection,
    Interview,
    Loan,
    Repayment,
    Review,
    SiteVisit,
)
from loans.roles import Role
from loans.workflow import LoanState

S = LoanState
EARLY = (S.INTAKE, S.SITE_VISIT)
MANAGER = frozenset({Role.ACCOUNT_MANAGER})
REVIEWER = frozenset({Role.REVIEWER})
OFFICER = frozenset({Role.DISBURSEMENT_OFFICER})


@dataclass(frozen=True)
class RecordKind:
    path: str
    label: str | Promise
    model: type[models.Model]
    fields: tuple[str, ...]  # what the person fills in
    related_name: str
    roles: frozenset[str]
    states: tuple[str, ...]
    create: Callable[[Loan, Any, dict[str, Any]], models.Model]


RECORDS = (
    RecordKind(
        "interviews",
        _("Interview"),
        Interview,
        ("held_at", "location", "notes"),
        "interviews",
        MANAGER,
        (S.INTAKE,),
        lambda loan, user, d: services.interview_record(loan=loan, interviewer=user, **d),
    ),
    RecordKind(
        "credit-authorisations",
        _("Credit report authorisation"),
        CreditAuthorisation,
        ("signed_at",),
        "credit_authorisations",
        MANAGER,
        (S.INTAKE,),
        lambda loan, user, d: services.credit_authorisation_record(
            loan=loan, recorded_by=user, **d
        ),
    ),
    RecordKind(
        "site-visits",
        _("Site visit"),
        SiteVisit,
        (
            "co_investigator",
            "visited_at",
            "location",
            "business",
            "cash_flow",
            "repayment_source",
            "guarantee",
        ),
        "site_visits",
        MANAGER,
        (S.SITE_VISIT,),
        lambda loan, user, d: services.site_visit_record(loan=loan, lead_investigator=user, **d),
    ),
    RecordKind(
        "collateral-valuations",
        _("Collateral valuation"),
        CollateralValuation,
        ("description", "value", "appraiser", "valued_at"),
        "collateral_valuations",
        MANAGER,
        EARLY,
        lambda loan, user, d: services.collateral_valuation_record(loan=loan, by=user, **d),
    ),
    RecordKind(
        "documents",
        _("Document or photo"),
        Document,
        ("kind", "site_visit", "file"),
        "documents",
        MANAGER,
        (*EARLY, S.DISBURSEMENT, S.POST_LOAN),
        lambda loan, user, d: services.document_upload(loan=loan, uploaded_by=user, **d),
    ),
    RecordKind(
        "credit-reports",
        _("Credit report"),
        CreditReport,
        ("result", "overdue_accounts", "notes"),
        "credit_reports",
        REVIEWER,
        (S.REVIEW,),
        lambda loan, user, d: services.credit_report_record(loan=loan, queried_by=user, **d),
    ),
    RecordKind(
        "reviews",
        _("Review"),
        Review,
        ("monthly_income", "monthly_debt_payments", "opinion"),
        "reviews",
        REVIEWER,
        (S.REVIEW,),
        lambda loan, user, d: services.review_write(loan=loan, reviewer=user, **d),
    ),
    RecordKind(
        "drawdowns",
        _("Drawdown"),
        Drawdown,
        ("amount", "method", "counterparty_name", "counterparty_account"),
        "drawdowns",
        OFFICER,
        (S.DISBURSEMENT,),
        lambda loan, user, d: services.drawdown_request(loan=loan, requested_by=user, **d),
    ),
    RecordKind(
        "inspections",
        _("Inspection"),
        Inspection,
        ("kind", "mode", "inspected_at", "findings", "funds_used_as_stated", "proposed_class"),
        "inspections",
        MANAGER,
        (S.POST_LOAN,),
        lambda loan, user, d: services.inspection_record(loan=loan, inspector=user, **d),
    ),
    RecordKind(
        "repayments",
        _("Repayment"),
        Repayment,
        ("principal", "paid_at"),
        "repayments",
        OFFICER,
        (S.POST_LOAN,),
        lambda loan, user, d: services.repayment_record(loan=loan, recorded_by=user, **d),
    ),
)
BY_PATH = {kind.path: kind for kind in RECORDS}


def addable(user: Any, loan: Loan) -> list[RecordKind]:
    """The records ``user`` may add to ``loan`` now."""
    return [k for k in RECORDS if user.roles & k.roles and loan.state in k.states]
