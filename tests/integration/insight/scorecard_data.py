"""A hand-built month of two account managers whose scorecard is known.

September 2026, in the bank's local time. ``busy`` disbursed four loans of ¥500,000 (10, 12, 14
and 20 days from application: median 13), ``careful`` two of ¥400,000 (8 and 10 days: median 9).
Each loan is inspected once through the engine; two of busy's inspections find the loan worse
(substandard, loss): two downgrades and half of busy's ¥1,600,000 book non-performing. Busy also
tries twice to approve a loan of their own in post-loan: two high-severity deviations.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from loans.choices import InspectionKind, InspectionMode, RiskClass
from loans.journeys import act
from loans.models import Loan
from loans.states import LoanState
from tests.integration.insight.data import held
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
    return busy_loans, careful_loans
