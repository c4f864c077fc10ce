"""The scorecard's reads of the loan domain: grouped counts per account manager over a span of
time (for the measurement), and the loans and events behind a figure (for the drill-down).
Nothing here writes.

A loan is the manager's when they are its account manager. Deviations count the manager's own
refused attempts; SLA breaches the stages that are the manager's work (``STAGE_ROLE``);
inspections the post-loan inspection timers of the manager's loans that fell due; watch-list
items those the manager owns (``WatchItem.account_manager``), as they stood at the span's end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from loans.choices import RiskClass
from loans.models import Loan, User
from loans.roles import Role
from loans.states import LoanState
from loans.workflow import STAGE_ROLE
from watch.models import WatchItem
from watch.selectors import RESOLVED_LATE, open_at, overdue_at, resolved_between
from workflow.models import AuditEvent, Deviation, Timer

ORDER = list(LoanState.values)
# Returns for revision: the process's transitions back to an earlier stage (loans/workflow.py).
RETURNS = sorted(
    {
        t.name
        for t in Loan._meta.get_field("state").get_all_transitions(Loan)
        if ORDER.index(t.target) < ORDER.index(t.source)
    }
)
MANAGER_STAGES = sorted(
    str(stage)
    for stage, role in STAGE_ROLE.items()
    if role == Role.ACCOUNT_MANAGER and stage != LoanState.POST_LOAN
)
ZERO = Decimal("0.00")
OWN_SLIPS = (Deviation.Kind.SLA_OVERDUE, Deviation.Kind.INSPECTION_OVERDUE)  # counted apart


def _loan_type() -> ContentType:
    return ContentType.objects.get_for_model(Loan)


def _manager_of(field: str = "object_id") -> Subquery:
    return Subquery(Loan.objects.filter(pk=OuterRef(field)).values("account_manager_id")[:1])


def managers() -> dict[int, int]:
    """Every account manager with an office: their office, by id."""
    return dict(
        User.objects.filter(groups__name=Role.ACCOUNT_MANAGER, branch__isnull=False)
        .order_by("pk")
        .values_list("pk", "branch_id")
        .distinct()
    )


def _returned() -> Exists:
    return Exists(
        AuditEvent.objects.filter(
            content_type=_loan_type(), object_id=OuterRef("pk"), action__in=RETURNS
        )
    )


def disbursed(start: datetime, end: datetime) -> Iterator[tuple[int, Decimal, int, bool]]:
    """Loans disbursed in [start, end): manager, amount, days from application, ever returned."""
    rows = (
        Loan.objects.filter(disbursed_at__gte=start, disbursed_at__lt=end)
        .annotate(returned=_returned())
        .order_by()
        .values_list("account_manager_id", "amount", "created_at", "disbursed_at", "returned")
    )
    for manager, amount, created, paid, returned in rows.iterator(chunk_size=2000):
        days = (timezone.localdate(paid) - timezone.localdate(created)).days
        yield manager, amount or Decimal(0), days, returned


def handled(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Per manager, their loans with any event in [start, end)."""
    events = AuditEvent.objects.filter(
        content_type=_loan_type(),
        object_id=OuterRef("pk"),
        created_at__gte=start,
        created_at__lt=end,
    )
    return list(
        Loan.objects.filter(Exists(events))
        .order_by()
        .values("account_manager_id")
        .annotate(n=Count("pk"))
        .values_list("account_manager_id", "n")
    )


def _deviations(start: datetime, end: datetime) -> QuerySet[Deviation]:
    return Deviation.objects.filter(
        content_type=_loan_type(), created_at__gte=start, created_at__lt=end
    )


def deviations(start: datetime, end: datetime) -> list[tuple[int, str, int]]:
    """Per manager and severity, the manager's own refused attempts on loans."""
    return list(
        _deviations(start, end)
        .filter(actor__groups__name=Role.ACCOUNT_MANAGER)
        .exclude(kind__in=OWN_SLIPS)
        .order_by()
        .values("actor_id", "severity")
        .annotate(n=Count("pk", distinct=True))
        .values_list("actor_id", "severity", "n")
    )


def sla_breaches(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Per manager, their loans' stages left past the SLA in [start, end)."""
    return list(
        _deviations(start, end)
        .filter(kind=Deviation.Kind.SLA_OVERDUE, from_state__in=MANAGER_STAGES)
        .annotate(manager=_manager_of())
        .order_by()
        .values("manager")
        .annotate(n=Count("pk"))
        .values_list("manager", "n")
    )


def _inspections_due(start: datetime, end: datetime) -> QuerySet[Timer]:
    return Timer.objects.filter(
        content_type=_loan_type(), kind=Timer.Kind.INSPECTION, due_at__gte=start, due_at__lt=end
    )


ON_TIME = Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"), overdue_at__isnull=True)


def inspections(start: datetime, end: datetime) -> list[tuple[int, int, int]]:
    """Per manager, the inspections of their loans due in [start, end), and those done by then."""
    return list(
        _inspections_due(start, end)
        .annotate(manager=_manager_of())
        .order_by()
        .values("manager")
        .annotate(due=Count("pk"), on_time=Count("pk", filter=ON_TIME))
        .values_list("manager", "due", "on_time")
    )


def _reclassified(start: datetime, end: datetime) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        Q(payload__has_key="classified") | Q(changes__has_key="risk_class"),
        content_type=_loan_type(),
        created_at__gte=start,
        created_at__lt=end,
    )


def is_downgrade(payload: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether an event moved its loan to a worse class: as the step recorded it
    (``classified``, loans/services/post_loan.py), else as its snapshot changed."""
    classified = payload.get("classified")
    if isinstance(classified, dict):
        return RiskClass[classified["to"].upper()] > RiskClass[classified["from"].upper()]
    old, new = changes.get("risk_class") or (0, 0)
    return int(new or 0) > int(old or 0)


def downgrades(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Per manager, the changes of class of their loans to a worse one in [start, end)."""
    counted: Counter[int] = Counter()
    rows = (
        _reclassified(start, end)
        .annotate(manager=_manager_of())
        .values_list("manager", "payload", "changes")
    )
    for manager, payload, changes in rows.iterator(chunk_size=2000):
        counted[manager] += is_downgrade(payload, changes)
    return [(manager, n) for manager, n in counted.items() if n]


def watch_items(start: datetime, end: datetime) -> list[tuple[int, int, int, int, int]]:
    """Per manager, their watch-list items open at ``end`` and of them past their due, and those
    resolved in [start, end) and of them after their due: one statement."""
    at_end, resolved = open_at(end), resolved_between(start, end)
    return list(
        WatchItem.objects.filter(at_end | resolved)
        .order_by()
        .values("account_manager_id")
        .annotate(
            open=Count("pk", filter=at_end),
            overdue=Count("pk", filter=overdue_at(end)),
            resolved=Count("pk", filter=resolved),
            late=Count("pk", filter=resolved & RESOLVED_LATE),
        )
        .values_list("account_manager_id", "open", "overdue", "resolved", "late")
    )


@dataclass
class Book:
    """A manager's loans in post-loan: how many, their balance, and how much of it is special
    mention and non-performing."""

    count: int = 0
    balance: Decimal = ZERO
    special_mention: Decimal = ZERO
    non_performing: Decimal = ZERO

    def add(self, balance: Decimal, risk_class: int, count: int = 1) -> None:
        self.count += count
        self.balance += balance
        if risk_class == RiskClass.SPECIAL_MENTION:
            self.special_mention += balance
        elif risk_class >= RiskClass.SUBSTANDARD:
            self.non_performing += balance


def books_now() -> dict[int, Book]:
    """Each manager's book as it is now."""
    books: dict[int, Book] = defaultdict(Book)
    rows = (
        Loan.objects.filter(state=LoanState.POST_LOAN)
        .order_by()
        .values("account_manager_id", "risk_class")
        .annotate(n=Count("pk"), balance=Sum("outstanding_balance"))
        .values_list("account_manager_id", "risk_class", "n", "balance")
    )
    for manager, risk, count, balance in rows:
        books[manager].add(Decimal(balance or 0).quantize(ZERO), risk, count)
    return dict(books)


# --- Drill-down: the loans and events behind a figure ------------------------------------------


def loans_disbursed(manager: int, start: datetime, end: datetime) -> QuerySet[Loan]:
    loans: QuerySet[Loan] = Loan.objects.filter(
        account_manager_id=manager, disbursed_at__gte=start, disbursed_at__lt=end
    )
    return loans


def loans_returned(manager: int, start: datetime, end: datetime) -> QuerySet[Loan]:
    return loans_disbursed(manager, start, end).filter(_returned())


BOOK_QUALITY = {
    "special_mention": Q(risk_class=RiskClass.SPECIAL_MENTION),
    "non_performing": Q(risk_class__gte=RiskClass.SUBSTANDARD),
}


def loans_in_book(manager: int, quality: str | None = None) -> QuerySet[Loan]:
    """The manager's loans in post-loan as they are now (of one quality, if given)."""
    loans: QuerySet[Loan] = Loan.objects.filter(
        account_manager_id=manager, state=LoanState.POST_LOAN
    )
    return loans.filter(BOOK_QUALITY[quality]) if quality in BOOK_QUALITY else loans


def deviations_of(manager: int, start: datetime, end: datetime) -> QuerySet[Deviation]:
    return _deviations(start, end).filter(actor_id=manager).exclude(kind__in=OWN_SLIPS)


def sla_breaches_of(manager: int, start: datetime, end: datetime) -> QuerySet[Deviation]:
    own = Loan.objects.filter(account_manager_id=manager).values("pk")
    return _deviations(start, end).filter(
        kind=Deviation.Kind.SLA_OVERDUE, from_state__in=MANAGER_STAGES, object_id__in=own
    )


def inspections_of(manager: int, start: datetime, end: datetime) -> QuerySet[Timer]:
    own = Loan.objects.filter(account_manager_id=manager).values("pk")
    return _inspections_due(start, end).filter(object_id__in=own).annotate(on_time=Q(ON_TIME))


def downgrades_of(manager: int, start: datetime, end: datetime) -> list[AuditEvent]:
    own = Loan.objects.filter(account_manager_id=manager).values("pk")
    events = _reclassified(start, end).filter(object_id__in=own).order_by("created_at", "pk")
    return [event for event in events if is_downgrade(event.payload, event.changes)]


def _watch_behind(figure: str, start: datetime, end: datetime) -> Q:
    late = resolved_between(start, end) & RESOLVED_LATE
    return {
        "watch_open": open_at(end),
        "watch_overdue": overdue_at(end),
        "watch_resolved_late": late,
        "watch_late": overdue_at(end) | late,  # the factor's: every item not answered in time
    }[figure]


def watch_items_of(
    manager: int, figure: str, start: datetime, end: datetime
) -> QuerySet[WatchItem]:
    """The manager's watch-list items behind a figure of the span [start, end)."""
    items: QuerySet[WatchItem] = WatchItem.objects.filter(
        _watch_behind(figure, start, end), account_manager_id=manager
    )
    return items
