"""A hand-built month of two account managers whose scorecard is known.

September 2026, in the bank's local time. ``busy`` disbursed four loans of ¥500,000 (10, 12, 14
and 20 days from application: median 13), ``careful`` two of ¥400,000 (8 and 10 days: median 9).
Each loan is inspected once through the engine; two of busy's inspections find the loan worse
(substandard, loss): two downgrades and half of busy's ¥1,600,000 book non-performing. Busy also
tries twice to approve a loan of their own in post-loan: two high-severity deviations.

The watch-list: busy leaves an arrears item open past its due (overdue at the month's end) and
resolves a late-inspection item almost a week after its due; careful resolves a funds-use item
the day after it opened. Busy answered none of two in time, careful one of one.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from loans.choices import InspectionKind, InspectionMode, RiskClass
from loans.journeys import act
from loans.models import Loan
from loans.states import LoanState
from tests.integration.insight.data import held
from watch.rules import SIGNAL_BY_CODE, Occurrence
from watch.services import item_open
from workflow.engine import TransitionRefused, perform_transition

LOCAL = ZoneInfo("Asia/Shanghai")
MEASURED_AT = datetime(2026, 9, 25, 12, tzinfo=LOCAL)
D = Decimal


def disbursed(manager, product, *, on_day: int, cycle_days: int, amount, balance):
    paid = datetime(2026, 9, on_day, 10, tzinfo=LOCAL)
    loan = held(
        manager,
        product,
        amount=D(amount),
        outstanding_balance=D(balance),
        disbursed_at=paid,
    )
    Loan.objects.filter(pk=loan.pk).update(created_at=paid - timedelta(days=cycle_days))
    loan.refresh_from_db()
    return loan


def inspect(loan, *, proposed=None):
    act(
        loan,
        "inspection_record",
        loan.account_manager,
        kind=InspectionKind.FIRST,
        mode=InspectionMode.ON_SITE,
        inspected_at=timezone.now(),
        findings="Shop open.",
        funds_used_as_stated=True,
        proposed_class=proposed,
    )


RESOLUTION = "Visited the borrower; the arrears plan and a monthly inspection agreed."


def watch_item(loan, signal, *, opened_day: int, resolved_day: int | None = None):
    """An item opened through the engine on ``opened_day`` of September, resolved by its owner
    on ``resolved_day`` (left open without one)."""
    opened = datetime(2026, 9, opened_day, 10, tzinfo=LOCAL)
    with time_machine.travel(opened, tick=False):
        item = item_open(
            signal=SIGNAL_BY_CODE[signal],
            occurrence=Occurrence(loan.pk, f"{signal}:{loan.pk}:{opened_day}"),
            loan=loan,
            now=opened,
        )
    if resolved_day is not None:
        with time_machine.travel(datetime(2026, 9, resolved_day, 16, tzinfo=LOCAL), tick=False):
            item = perform_transition(
                item, "resolve", actor=loan.account_manager, payload={"note": RESOLUTION}
            )
    return item


def build_watch_items(busy_loans, careful_loans):
    """Busy: one item overdue at the month's end, one resolved late; careful: one on time."""
    return (
        watch_item(busy_loans[0], "days_past_due", opened_day=3),  # due the 8th, left open
        watch_item(busy_loans[1], "inspection_overdue", opened_day=11, resolved_day=24),
        watch_item(careful_loans[0], "funds_not_as_stated", opened_day=14, resolved_day=15),
    )


def build_month(busy, careful, product):
    """Made under time travel to ``MEASURED_AT`` (the events' and deviations' moments)."""
    busy_loans = [
        disbursed(busy, product, on_day=d, cycle_days=c, amount=500_000, balance=400_000)
        for d, c in ((2, 10), (5, 12), (9, 14), (15, 20))
    ]
    careful_loans = [
        disbursed(careful, product, on_day=d, cycle_days=c, amount=400_000, balance=300_000)
        for d, c in ((3, 8), (12, 10))
    ]
    for loan, proposed in zip(
        busy_loans, (None, None, RiskClass.SUBSTANDARD, RiskClass.LOSS), strict=True
    ):
        inspect(loan, proposed=proposed)
    for loan in careful_loans:
        inspect(loan)
    for _attempt in range(2):
        with contextlib.suppress(TransitionRefused):
            perform_transition(busy_loans[0], "approve", actor=busy)
    assert all(loan.state == LoanState.POST_LOAN for loan in busy_loans)
    build_watch_items(busy_loans, careful_loans)
    return busy_loans, careful_loans
