"""Five-class loan classification floors (2023 risk-classification measures, art. 6 and 20).

Any overdue → at least special mention; more than 90 days → at least substandard; more than 270
→ at least doubtful; more than 360 → loss. An overdue a reviewer marked as technical (caused by
the bank's own operations) sets no floor. A restructured loan stays at least special mention
through its observation period (one that was non-performing is not upgraded meanwhile:
loans/checks/classification.py, ``upgrade_within_floor``): the longer of the policy's months and
its repayment periods (one a month) without arrears, counted from the restructuring and again
from each new arrears. An inspection may classify worse than the floor, never better; nothing
classifies better than it.

A non-retail borrower (not an individual) more than 10 % of whose claims at the bank are
non-performing has all of them at least substandard (art. 7): the claims are the outstanding
balances of the borrower's loans in post-loan management, and the non-performing ones counted for
a loan are the borrower's *other* loans non-performing on their own (not those raised only by this
rule), so a loan never holds itself or its siblings down. The system applies it
(``classification_floor_apply``, daily for every such borrower: ``loans.tasks``).
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import Decimal
from typing import Any

from loans.choices import BorrowerKind, RiskClass

# (more than this many days past due, at least this class), worst first.
FLOORS = (
    (360, RiskClass.LOSS),
    (270, RiskClass.DOUBTFUL),
    (90, RiskClass.SUBSTANDARD),
    (0, RiskClass.SPECIAL_MENTION),
)
# More days past due than any loan can have (about 270 years): a figure above it is an input error.
MOST_DAYS_PAST_DUE = 100_000
RESTRUCTURED_FLOOR = RiskClass.SPECIAL_MENTION  # art. 20
# A non-performing loan is upgraded only after its arrears are repaid and it has then paid on time
# for this many repayment periods or months (loans/servicing/performance.py).
UPGRADE_PERIODS_ON_TIME = 2
UPGRADE_MONTHS_ON_TIME = 6
# More than this share of a non-retail borrower's claims non-performing: all are (art. 7).
NON_RETAIL_SHARE = Decimal("0.10")
BORROWER_FLOOR = RiskClass.SUBSTANDARD


def floor_for(days_past_due: int) -> RiskClass:
    for days, risk_class in FLOORS:
        if days_past_due > days:
            return risk_class
    return RiskClass.NORMAL


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def observation_ends(loan: Any, policy: Any) -> datetime | None:
    """When a restructured loan's observation ends (None: never restructured)."""
    if loan.observed_since is None:
        return None
    months = max(policy.restructured_observation_months, policy.restructured_observation_periods)
    return add_months(loan.observed_since, months)


def under_observation(loan: Any, policy: Any, now: datetime) -> bool:
    ends = observation_ends(loan, policy)
    return ends is not None and now < ends


def borrower_floor(
    kind: str, claims: Decimal | None, others_non_performing: Decimal | None
) -> RiskClass:
    """The floor a borrower's other claims set: substandard for a non-retail borrower more than
    10 % of whose claims (``claims``, this loan's included) are the other loans non-performing on
    their own (``others_non_performing``)."""
    if kind == BorrowerKind.INDIVIDUAL or not claims or not others_non_performing:
        return RiskClass.NORMAL
    if Decimal(others_non_performing) > Decimal(claims) * NON_RETAIL_SHARE:
        return BORROWER_FLOOR
    return RiskClass.NORMAL


def effective_floor(
    loan: Any, policy: Any, now: datetime, *, borrower: RiskClass = RiskClass.NORMAL
) -> RiskClass:
    """The best class ``loan`` may have now: its days past due (unless the overdue is technical),
    its restructuring's observation and ``borrower``, the floor of the borrower's other claims."""
    floor = RiskClass.NORMAL if loan.overdue_technical else floor_for(loan.days_past_due)
    if under_observation(loan, policy, now):
        floor = max(floor, RESTRUCTURED_FLOOR)
    return RiskClass(max(floor, borrower))
