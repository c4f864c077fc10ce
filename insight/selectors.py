"""Insight's reads of the loan domain: the loans of the portfolio now, and the loans' audit events
for the backfill. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from insight.buckets import AMOUNT_BANDS, TERM_BANDS, UNKNOWN, Band, band_named
from insight.measure import LoanFacts
from loans.choices import RiskClass
from loans.keyset import Order
from loans.models import Branch, Loan
from loans.states import LoanState
from workflow.models import AuditEvent

# The loan's fixed facts, not in its audit snapshot: they do not change along its life.
STATIC_FIELDS = ("pk", "branch_id", "account_manager_id", "borrower__group")


def office_ids() -> list[int]:
    return list(Branch.objects.order_by("pk").values_list("pk", flat=True))


def loans_in_portfolio() -> Iterator[LoanFacts]:
    """Every loan disbursed and not closed, as it is now."""
    rows = (
        Loan.objects.filter(state=LoanState.POST_LOAN)
        .order_by()
        .values_list(
            "branch_id",
            "outstanding_balance",
            "risk_class",
            "industry",
            "product__code",
            "guarantee_type",
            "term_months",
            "amount",
            "account_manager_id",
            "borrower__group",
        )
    )
    for (
        branch,
        balance,
        risk,
        industry,
        product,
        guarantee,
        term,
        amount,
        manager,
        group,
    ) in rows.iterator(chunk_size=5000):
        yield LoanFacts(
            branch_id=branch,
            state=LoanState.POST_LOAN,
            balance=Decimal(balance).quantize(Decimal("0.01")),
            risk_class=risk,
            industry=industry,
            product=product or "",
            guarantee_type=guarantee,
            term_months=term,
            amount=amount,
            manager_id=manager,
            group=group,
        )


def static_loan_facts() -> dict[int, tuple[int, int, str]]:
    """Each loan's office, account manager and borrower group, by loan id."""
    return {
        pk: (branch, manager, group)
        for pk, branch, manager, group in Loan.objects.order_by().values_list(*STATIC_FIELDS)
    }


@dataclass(frozen=True)
class LoanEvent:
    loan_id: int
    at: datetime
    state: str
    snapshot: dict[str, Any]

    def facts(self, static: tuple[int, int, str]) -> LoanFacts:
        branch, manager, group = static
        snap = self.snapshot
        amount = snap.get("amount")
        return LoanFacts(
            branch_id=branch,
            state=self.state,
            balance=Decimal(snap.get("outstanding_balance") or 0).quantize(Decimal("0.01")),
            risk_class=int(snap.get("risk_class") or 1),
            industry=snap.get("industry") or "",
            product=snap.get("product") or "",
            guarantee_type=snap.get("guarantee_type") or "",
            term_months=snap.get("term_months"),
            amount=Decimal(amount) if amount is not None else None,
            manager_id=manager,
            group=group,
        )


def loan_events(*, before: datetime | None, limit: int | None = None) -> Iterator[LoanEvent]:
    """The loans' audit events in the order they happened (before ``before``), streamed."""
    events = AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Loan))
    if before is not None:
        events = events.filter(created_at__lt=before)
    rows = events.order_by("created_at", "object_id", "seq").values_list(
        "object_id", "created_at", "target_state", "snapshot"
    )
    if limit is not None:
        rows = rows[:limit]
    for loan_id, at, state, snapshot in rows.iterator(chunk_size=2000):
        yield LoanEvent(loan_id=loan_id, at=at, state=state, snapshot=snapshot or {})


# --- Drill-down: the loans behind a figure ------------------------------------------------------

NEWEST = Order("insight:newest", ("created_at", "id"), descending=True)
QUALITY = {"npl": Q(risk_class__gte=RiskClass.SUBSTANDARD), "special_mention": Q(risk_class=2)}


def _band_filter(field: str, bands: tuple[Band, ...], key: str) -> Q | None:
    if key == UNKNOWN:
        return Q(**{f"{field}__isnull": True})
    band = band_named(bands, key)
    if band is None:
        return None
    where = Q(**{f"{field}__gt": band.low})
    return where & Q(**{f"{field}__lte": band.high}) if band.high is not None else where


def _id(key: str) -> int | None:
    return int(key) if key.isdigit() else None


def figure_filter(dimension: str, key: str) -> Q | None:
    """The loans a figure of the structure counts (None: no such figure)."""
    if dimension in ("industry", "guarantee_type"):
        return Q(**{dimension: key})
    if dimension == "product":
        return Q(product__code=key) if key else Q(product__isnull=True)
    if dimension == "group":
        return Q(borrower__group=key)
    if dimension == "term":
        return _band_filter("term_months", TERM_BANDS, key)
    if dimension == "amount":
        return _band_filter("amount", AMOUNT_BANDS, key)
    if dimension == "quality":
        return QUALITY.get(key)
    number = _id(key)
    if number is None:
        return None
    return {
        "risk_class": Q(risk_class=number),
        "manager": Q(account_manager_id=number),
        "office": Q(branch_id=number),
    }.get(dimension)


def loans_behind(branch_ids: list[int], where: Q | None = None) -> QuerySet[Loan]:
    """The loans in the portfolio of ``branch_ids`` that a figure counts, for a keyset page."""
    loans = Loan.objects.filter(branch_id__in=branch_ids, state=LoanState.POST_LOAN)
    if where is not None:
        loans = loans.filter(where)
    behind: QuerySet[Loan] = loans.select_related(
        "borrower", "product", "account_manager", "branch"
    )
    return behind
