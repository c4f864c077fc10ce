"""Writing portfolio snapshots: live (today, from the loans) and backfilled (from the audit trail).

Both measure with insight/measure.py and upsert one row per office and local day on the unique
(branch, day): running either twice over the same loans leaves every row as it was, and a day the
backfill reconstructs holds the figures the live task wrote for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from insight.measure import LoanFacts, Tally, tally
from insight.models import PortfolioSnapshot
from insight.selectors import loan_events, loans_in_portfolio, office_ids, static_loan_facts

BATCH_DAYS = 31


def snapshot_take() -> int:
    """Write today's snapshot of every office from the loans as they are now; the rows written."""
    tallies = tally(loans_in_portfolio())
    return _upsert(_rows(timezone.localdate(), office_ids(), tallies))


def _rows(
    day: date, offices: Iterable[int], tallies: dict[int, Tally]
) -> Iterator[PortfolioSnapshot]:
    for office in offices:
        figures = tallies.get(office) or Tally()
        yield PortfolioSnapshot(
            branch_id=office,
            day=day,
            balance=figures.balance,
            loan_count=figures.count,
            figures=figures.figures(),
        )


def _upsert(rows: Iterable[PortfolioSnapshot]) -> int:
    batch = list(rows)
    with transaction.atomic():
        PortfolioSnapshot.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["branch", "day"],
            update_fields=["balance", "loan_count", "figures"],
        )
    return len(batch)


def end_of(day: date) -> datetime:
    """The first moment after local ``day``."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def snapshot_backfill(*, since: date, until: date) -> int:
    """Reconstruct each office's snapshot of each day from ``since`` to ``until`` from the loans'
    audit events: the state of a loan at the end of a day is the one its last event of that day or
    before recorded (the event's target state and snapshot). Reads the trail once, in order."""
    static = static_loan_facts()
    offices = office_ids()
    current: dict[int, LoanFacts] = {}
    tallies: dict[int, Tally] = {office: Tally() for office in offices}
    written = 0
    pending: list[PortfolioSnapshot] = []
    events = loan_events(before=end_of(until))
    event = next(events, None)
    day = since
    while day <= until:
        boundary = end_of(day)
        while event is not None and event.at < boundary:
            _apply(event.loan_id, event.facts(static[event.loan_id]), current, tallies)
            event = next(events, None)
        pending.extend(_rows(day, offices, tallies))
        if len(pending) >= BATCH_DAYS * max(len(offices), 1):
            written += _upsert(pending)
            pending = []
        day += timedelta(days=1)
    return written + (_upsert(pending) if pending else 0)


def _apply(
    loan_id: int, facts: LoanFacts, current: dict[int, LoanFacts], tallies: dict[int, Tally]
) -> None:
    before = current.get(loan_id)
    if before is not None:
        tallies.setdefault(before.branch_id, Tally()).add(before, sign=-1)
    tallies.setdefault(facts.branch_id, Tally()).add(facts)
    current[loan_id] = facts


def first_event_day() -> date | None:
    first = next(loan_events(before=None, limit=1), None)
    return timezone.localdate(first.at) if first else None
