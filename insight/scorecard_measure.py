"""Measuring the scorecard: each account manager's figures of a month, from the loan domain's
records, written as one ``ScorecardMonth`` row per manager and month.

The hourly task measures the month under way and the one before (a record of the last hour of a
month arrives after it turned); the backfill measures any months, taking each month's book at its
end from the audit trail, as the portfolio backfill does. The watch-list items open at a month's
end need no replay: they are read from the items' own moments (opened, due, resolved), exact for
any month. Both upsert on (manager, month), so a
second run over the same records leaves every row as it was. The pages read these rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from insight import scorecard_selectors as records
from insight.scorecard_models import ScorecardMonth
from insight.scorecard_selectors import Book
from insight.selectors import loan_events, static_loan_facts
from loans.choices import RiskClass
from loans.states import LoanState

ZERO = Decimal("0.00")
ACTIVITY_FIELDS = (
    "branch",
    "disbursed_count",
    "disbursed_amount",
    "cycle_days",
    "returned_count",
    "handled_count",
    "deviations_high",
    "deviations_medium",
    "deviations_low",
    "sla_breaches",
    "inspections_due",
    "inspections_on_time",
    "downgrades",
    "watch_open",
    "watch_overdue",
    "watch_resolved",
    "watch_resolved_late",
    "measured_at",
)
BOOK_FIELDS = ("book_count", "book_balance", "special_mention_balance", "non_performing_balance")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Figures:
    disbursed_count: int = 0
    disbursed_amount: Decimal = ZERO
    cycle_days: list[int] = field(default_factory=list)
    returned_count: int = 0
    handled_count: int = 0
    deviations: dict[str, int] = field(default_factory=dict)
    sla_breaches: int = 0
    inspections_due: int = 0
    inspections_on_time: int = 0
    downgrades: int = 0
    watch_open: int = 0
    watch_overdue: int = 0
    watch_resolved: int = 0
    watch_resolved_late: int = 0


def measure_month(month: date, now: datetime) -> dict[int, Figures]:
    """Each manager's activity in ``month`` (up to ``now``), by manager id."""
    start, end = local_midnight(month), local_midnight(next_month(month))
    figures: dict[int, Figures] = defaultdict(Figures)
    for manager, amount, days, returned in records.disbursed(start, end):
        row = figures[manager]
        row.disbursed_count += 1
        row.disbursed_amount += amount or ZERO
        row.cycle_days.append(days)
        row.returned_count += int(returned)
    for manager, count in records.handled(start, end):
        figures[manager].handled_count = count
    for manager, severity, count in records.deviations(start, end):
        figures[manager].deviations[severity] = count
    for manager, count in records.sla_breaches(start, end):
        figures[manager].sla_breaches = count
    for manager, due, on_time in records.inspections(start, min(end, now)):
        figures[manager].inspections_due, figures[manager].inspections_on_time = due, on_time
    for manager, count in records.downgrades(start, end):
        figures[manager].downgrades = count
    for manager, *items in records.watch_items(start, min(end, now)):
        row = figures[manager]
        row.watch_open, row.watch_overdue, row.watch_resolved, row.watch_resolved_late = items
    return figures


def _row(manager: int, branch: int, month: date, figures: Figures, now: datetime) -> ScorecardMonth:
    return ScorecardMonth(
        manager_id=manager,
        branch_id=branch,
        month=month,
        disbursed_count=figures.disbursed_count,
        disbursed_amount=figures.disbursed_amount,
        cycle_days=sorted(figures.cycle_days),
        returned_count=figures.returned_count,
        handled_count=figures.handled_count,
        deviations_high=figures.deviations.get("high", 0),
        deviations_medium=figures.deviations.get("medium", 0),
        deviations_low=figures.deviations.get("low", 0),
        sla_breaches=figures.sla_breaches,
        inspections_due=figures.inspections_due,
        inspections_on_time=figures.inspections_on_time,
        downgrades=figures.downgrades,
        watch_open=figures.watch_open,
        watch_overdue=figures.watch_overdue,
        watch_resolved=figures.watch_resolved,
        watch_resolved_late=figures.watch_resolved_late,
        measured_at=now,
    )


def _with_book(row: ScorecardMonth, book: Book | None) -> ScorecardMonth:
    book = book or Book()
    row.book_count = book.count
    row.book_balance = book.balance
    row.special_mention_balance = book.special_mention
    row.non_performing_balance = book.non_performing
    return row


def _upsert(rows: Iterable[ScorecardMonth], fields: Iterable[str]) -> int:
    batch = list(rows)
    with transaction.atomic():
        ScorecardMonth.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["manager", "month"],
            update_fields=list(fields),
        )
    return len(batch)


def scorecard_take(*, now: datetime | None = None) -> int:
    """Measure the month under way (its book as it is now) and the month before (its activity
    only: its book was taken at its end); the rows written."""
    now = now or timezone.now()
    month = month_start(timezone.localdate(now))
    previous = month_start(month - timedelta(days=1))
    managers = records.managers()
    written = _upsert(
        (
            _row(m, branch, previous, figures, now)
            for m, figures in measure_month(previous, now).items()
            if (branch := managers.get(m)) is not None
        ),
        ACTIVITY_FIELDS,
    )
    current = measure_month(month, now)
    books = records.books_now()
    rows = [
        _with_book(_row(m, branch, month, current.get(m, Figures()), now), books.get(m))
        for m, branch in managers.items()
    ]
    return written + _upsert(rows, (*ACTIVITY_FIELDS, *BOOK_FIELDS))


def scorecard_backfill(*, since: date, until: date, now: datetime | None = None) -> int:
    """Measure every month from ``since``'s to ``until``'s, each book at the month's end from the
    loans' audit events (read once, in order); the rows written."""
    now = now or timezone.now()
    months = [month_start(since)]
    while next_month(months[-1]) <= month_start(until):
        months.append(next_month(months[-1]))
    books = books_at([local_midnight(next_month(m)) for m in months])
    managers = records.managers()
    rows: list[ScorecardMonth] = []
    for month, book in zip(months, books, strict=True):
        figures = measure_month(month, now)
        rows.extend(
            _with_book(_row(m, branch, month, figures.get(m, Figures()), now), book.get(m))
            for m, branch in managers.items()
        )
    return _upsert(rows, (*ACTIVITY_FIELDS, *BOOK_FIELDS))


def books_at(moments: list[datetime]) -> list[dict[int, Book]]:
    """Each manager's book just before each of ``moments`` (ascending), replayed from the
    loans' audit events: a loan is in the book while its last event put it in post-loan."""
    static = static_loan_facts()
    held: dict[int, tuple[int, Decimal, int]] = {}  # loan -> manager, balance, class
    books: dict[int, Book] = defaultdict(Book)
    taken: list[dict[int, Book]] = []
    events = loan_events(before=moments[-1] if moments else None)
    event = next(events, None)
    for moment in moments:
        while event is not None and event.at < moment:
            _replay(event.loan_id, event.state, event.snapshot, static, held, books)
            event = next(events, None)
        taken.append({m: Book(**vars(b)) for m, b in books.items()})
    return taken


def _replay(
    loan: int,
    state: str,
    snapshot: dict[str, Any],
    static: dict[int, tuple[int, int, str]],
    held: dict[int, tuple[int, Decimal, int]],
    books: dict[int, Book],
) -> None:
    before = held.pop(loan, None)
    if before is not None:
        books[before[0]].add(-before[1], before[2], count=-1)
    if state != LoanState.POST_LOAN:
        return
    manager = static[loan][1]
    balance = Decimal(snapshot.get("outstanding_balance") or 0).quantize(Decimal("0.01"))
    risk = int(snapshot.get("risk_class") or RiskClass.NORMAL)
    held[loan] = (manager, balance, risk)
    books[manager].add(balance, risk)
