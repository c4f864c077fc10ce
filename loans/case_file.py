"""A loan's file as the loan page reads it: every record of every kind in words, with its
corrections and cancellations, read in a fixed number of statements whatever the file holds.

Each kind of record (``RECORDS`` in loans/workflow.py) becomes a card; its records show their
fields by their labels, their values formatted (money as ¥1,234.00, moments in local time,
choices by their names, people by their names, personal facts masked) and their long texts as
paragraphs. The review's risk factors read in words (loans/risk.py). The approval decisions and
the contract's versions, written by steps rather than added as records, have their own cards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loans.models import ApprovalCondition, ApprovalDecision, Document, Loan
from loans.personal_data import RULES as PERSONAL_RULES
from loans.personal_data import mask
from loans.risk import FactorRow, describe_factors
from loans.workflow import RECORDS, RecordKind
from workflow.models import AuditEvent

# Records shown before the rest fold behind "Show all".
SHOWN_FIRST = 5
# Fields a card shows otherwise (the file itself, the visit a photo belongs to, the computed
# portfolio position, the factors read in words).
NOT_AS_FACTS = frozenset({"file", "site_visit", "portfolio", "risk_factors", "loan"})
# Where the approval decisions and the contract versions sit among the records.
STEP_CARDS_BEFORE = "drawdown"


def person(user: Any) -> str:
    """A member of staff as a colleague reads them: full name, else the user name."""
    if user is None:
        return "—"
    return str(user.get_full_name() or user.get_username())


def local_moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def money(value: Any) -> str:
    return f"¥{Decimal(value):,.2f}" if value is not None else "—"


def words(model: type[models.Model], name: str, record: Any) -> str:
    """The value of ``record``'s field ``name`` as a person reads it."""
    value = getattr(record, name)
    model_field = model._meta.get_field(name)
    if value is None or value == "":
        return "—"
    if name in PERSONAL_RULES:
        return mask(value, name)
    if getattr(model_field, "choices", None):
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(model_field, models.ForeignKey):
        return person(value) if _is_staff(model_field) else str(value)
    if isinstance(value, datetime):
        return local_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if name == "debt_to_income":
        return f"{Decimal(value):.1%}"
    if isinstance(model_field, models.DecimalField) and model_field.decimal_places == 2:
        return money(value)
    return str(value)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass
class RecordView:
    """One record in words, and what happened to it since."""

    record: Any
    facts: list[Fact]
    texts: list[Fact]  # long texts (notes, findings, opinions), shown as paragraphs
    corrections: list[str] = field(default_factory=list)  # the reasons given, oldest first
    photos: list[Document] = field(default_factory=list)  # a site visit's evidence
    factors: list[FactorRow] = field(default_factory=list)  # a review's risk factors

    @property
    def cancelled(self) -> bool:
        return bool(getattr(self.record, "cancelled_at", None))

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)


@dataclass
class Card:
    """A kind of record with all its records: the first few open, the rest folded."""

    name: str
    label: Any
    records: list[Any]
    kind: RecordKind | None = None
    hint: Any = ""

    @property
    def first(self) -> list[Any]:
        return self.records[:SHOWN_FIRST]

    @property
    def rest(self) -> list[Any]:
        return self.records[SHOWN_FIRST:]


def corrections_of(events: Iterable[AuditEvent]) -> dict[tuple[str, int], list[str]]:
    """The reasons given for each corrected record, keyed by (model label, id), from the loan's
    audit trail (already read for the timeline)."""
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    for event in events:
        corrected = event.payload.get("corrected")
        if isinstance(corrected, dict):
            key = (str(corrected.get("type", "")), int(corrected.get("id") or 0))
            found[key].append(str(event.payload.get("reason", "")).strip())
    return found


def _is_staff(model_field: Any) -> bool:
    related: Any = model_field.related_model
    return bool(related is not None and related._meta.label == settings.AUTH_USER_MODEL)


def _staff_fields(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and _is_staff(f)
    ]


def _records(loan: Loan, kind: RecordKind) -> list[Any]:
    """Every record of ``kind`` on the loan, cancelled ones too, oldest first, in one statement
    (a site visit's photos in a second)."""
    model: Any = kind.model
    rows = model.all_objects.filter(loan=loan).select_related(*_staff_fields(model))
    if kind.name == "site_visit":
        evidence = Document.all_objects.select_related("uploaded_by").order_by("uploaded_at", "id")
        rows = rows.prefetch_related(Prefetch("evidence", queryset=evidence, to_attr="photos"))
    if kind.name == "document":  # a site visit's photos are shown with their visit
        rows = rows.filter(site_visit__isnull=True)
    order = [f.lstrip("-") for f in model._meta.ordering] or ["pk"]
    return list(rows.order_by(*order, "pk"))


def _view(kind: RecordKind, record: Any, corrections: dict[tuple[str, int], list[str]]) -> Any:
    model = kind.model
    facts, texts = [], []
    for name in (*kind.fields, *kind.shown):
        if name in NOT_AS_FACTS:
            continue
        model_field = model._meta.get_field(name)
        label = str(getattr(model_field, "verbose_name", name))
        value = words(model, name, record)
        if isinstance(model_field, models.TextField):
            texts.append(Fact(label.capitalize(), value))
        elif value != "—" or name in kind.fields:
            facts.append(Fact(label.capitalize(), value))
    return RecordView(
        record=record,
        facts=facts,
        texts=texts,
        corrections=corrections.get((record._meta.label_lower, record.pk), []),
        photos=list(getattr(record, "photos", [])),
        factors=describe_factors(record.risk_factors) if kind.name == "review" else [],
    )


def record_cards(loan: Loan, events: Iterable[AuditEvent]) -> list[Card]:
    """Every kind of record, with all its records in words (empty kinds too, so the reader
    sees what is not on file yet)."""
    corrections = corrections_of(events)
    cards = []
    for kind in RECORDS:
        if kind.name == STEP_CARDS_BEFORE:
            cards.extend(step_cards(loan))
        views = [_view(kind, record, corrections) for record in _records(loan, kind)]
        hint = (
            gettext_lazy("Photos of a site visit are shown with the visit.")
            if kind.name == "document"
            else ""
        )
        cards.append(Card(kind.name, kind.label, views, kind=kind, hint=hint))
    return cards


@dataclass
class DecisionView:
    decision: ApprovalDecision
    conditions: list[ApprovalCondition]


def step_cards(loan: Loan) -> list[Card]:
    """The approvers' decisions with their conditions, and every version of the contract."""
    decisions = (
        ApprovalDecision.objects.filter(loan=loan)
        .select_related("approver")
        .prefetch_related(
            Prefetch(
                "conditions", queryset=ApprovalCondition.objects.select_related("fulfilled_by")
            )
        )
        .order_by("decided_at", "id")
    )
    contracts = loan.contracts.select_related("witness", "recorded_by").order_by("version")
    return [
        Card(
            "approval",
            gettext_lazy("Approval opinions and conditions"),
            [DecisionView(d, list(d.conditions.all())) for d in decisions],
        ),
        Card("contract", gettext_lazy("Contract versions"), list(contracts)),
    ]
