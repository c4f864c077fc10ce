"""Whether a loan has paid on time since its arrears were repaid: pure arithmetic, no Django.

The upgrade of a non-performing loan (``classification.upgrade-after-arrears``,
loans/checks/classification.py) needs its arrears repaid and then at least two repayment periods
or six months paid on time. The count starts on the day the latest instalment paid late was paid
in full (the arrears repaid), or on the schedule's start when no instalment was ever paid late;
an instalment missed later restarts it. A period counts when its instalment fell due after that
day, on or before the day judged, and was paid in full (principal and interest) by its due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from loans.servicing.schedule_maths import ZERO, Instalment, Paid, add_months


@dataclass(frozen=True)
class OnTimeRecord:
    since: date  # the arrears repaid (or the schedule's start): the count starts here
    periods: int  # instalments fallen due after ``since`` and paid in full by their due date
    in_arrears: bool  # an instalment due before the day judged is still not paid in full

    def allows_upgrade(self, on: date, *, periods: int, months: int) -> bool:
        """No arrears, and ``periods`` periods or ``months`` months on time by ``on``."""
        if self.in_arrears:
            return False
        return self.periods >= periods or on >= add_months(self.since, months)

    def upgrade_from(self, months: int) -> date:
        """The day the months alone allow an upgrade."""
        return add_months(self.since, months)


def settled_on(
    instalments: Iterable[Instalment], paid: Iterable[Paid], on: date
) -> dict[int, date]:
    """The day each instalment was paid in full (principal and interest), counting what was paid
    on or before ``on``; an instalment not paid in full is absent."""
    totals = {row.number: row.total for row in instalments}
    running: dict[int, Decimal] = {}
    found: dict[int, date] = {}
    for item in sorted(paid, key=lambda p: p.paid_on):
        if item.paid_on > on or item.number not in totals or item.number in found:
            continue
        running[item.number] = running.get(item.number, ZERO) + item.interest + item.principal
        if running[item.number] >= totals[item.number]:
            found[item.number] = item.paid_on
    return found


def on_time_record(
    instalments: Iterable[Instalment], paid: Iterable[Paid], *, start: date, on: date
) -> OnTimeRecord:
    """The loan's record of paying on time as of the local date ``on``."""
    rows = sorted(instalments, key=lambda row: (row.due_date, row.number))
    settled = settled_on(rows, paid, on)
    since = start
    in_arrears = False
    for row in rows:
        if row.due_date >= on and row.number not in settled:
            continue  # not due yet, or due today and still payable on time
        day = settled.get(row.number)
        if day is None:
            in_arrears = True
        elif day > row.due_date:
            since = max(since, day)
    periods = sum(
        1
        for row in rows
        if since < row.due_date <= on
        and row.number in settled
        and settled[row.number] <= row.due_date
    )
    return OnTimeRecord(since=since, periods=periods, in_arrears=in_arrears)
