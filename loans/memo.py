"""The printable approval memo (审批表) and loan summary: a loan's file as one page to print,
sign and keep — the application, the assessment with the risk factors in words, each person's
opinion and signature (who, in which role, when), and the conditions of approval.

Everything is read, nothing written: the memo is a view of the file the engine kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans.choices import CreditReportResult, GuaranteeType
from loans.models import Loan
from loans.roles import Role
from loans.selectors import audit_trail_of
from workflow.models import AuditEvent
from workflow.registry import process_for

# The risk score's factors (loans/risk.py) as a reader names them.
FACTOR_LABELS: dict[str, Promise] = {
    "debt_to_income": _("Debt-to-income ratio"),
    "credit_report": _("Credit report"),
    "guarantee": _("Guarantee"),
    "concentration": _("Industry concentration of the portfolio"),
}

# The steps a person answers for with their signature on the memo, in the order they happen.
SIGNED_STEPS = (
    "submit_for_review",
    "submit_for_approval",
    "return_for_revision",
    "endorse",
    "approve",
    "reject",
    "disburse",
)


@dataclass(frozen=True)
class FactorLine:
    label: Any
    value: Any
    points: float
    weight: int


@dataclass(frozen=True)
class Signature:
    step: Any
    name: str
    role: Any
    at: datetime


def factor_lines(review: Any) -> list[FactorLine]:
    """The review's risk factors in words, highest contribution first, as the score kept them."""
    if review is None:
        return []
    return [
        FactorLine(
            label=FACTOR_LABELS.get(factor["code"], factor["code"]),
            value=_factor_value(factor["code"], str(factor["value"])),
            points=factor["points"],
            weight=factor["weight"],
        )
        for factor in review.risk_factors
    ]


def _factor_value(code: str, value: str) -> Any:
    """A factor's input in words: its choice's label where the score kept the choice's code."""
    if code == "guarantee" and value in GuaranteeType.values:
        return GuaranteeType(value).label
    if code == "credit_report":
        result, _sep, overdue = value.partition(", ")
        if result in CreditReportResult.values:
            count = overdue.split(" ", 1)[0]
            return _("%(result)s, overdue accounts: %(count)s") % {
                "result": CreditReportResult(result).label,
                "count": count,
            }
    return value


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def signatures(events: list[AuditEvent], definition: Any) -> list[Signature]:
    """Who took each signed step on the loan, in which role, and when."""
    return [
        Signature(
            step=definition.transition_label(event.action),
            name=person_name(event.actor),
            role=Role(event.actor_role).label if event.actor_role in Role.values else "",
            at=event.created_at,
        )
        for event in events
        if event.kind == AuditEvent.Kind.TRANSITIONED and event.action in SIGNED_STEPS
    ]


def memo_of(loan: Loan) -> dict[str, Any]:
    """What the approval memo and the loan summary print of ``loan``."""
    review = loan.reviews.select_related("reviewer").first()
    events = list(audit_trail_of(loan).filter(action__in=SIGNED_STEPS))
    return {
        "loan": loan,
        "review": review,
        "factors": factor_lines(review),
        "credit_report": loan.credit_reports.select_related("queried_by").first(),
        "guarantors": list(loan.guarantors.all()),
        "visit": loan.site_visits.select_related("lead_investigator", "co_investigator").first(),
        "decisions": list(
            loan.approval_decisions.select_related("approver").order_by("decided_at", "id")
        ),
        "conditions": list(loan.approval_conditions.select_related("fulfilled_by")),
        "signatures": signatures(events, process_for(loan).definition),
        "contract": getattr(loan, "contract", None),
        "drawdowns": list(loan.drawdowns.all()),
    }
