"""Five-class loan classification floors (2023 risk-classification measures, art. 6 and 20).

Any overdue → at least special mention; more than 90 days → at least substandard; more than 270
→ at least doubtful; more than 360 → loss. An overdue a reviewer marked as technical (caused by
the bank's own operations) sets no floor. A restructured loan stays at least special mention
through its observation period (one that was non-performing is not upgraded meanwhile:
loans/checks/classification.py, ``upgrade_within_floor``): the longer of the policy's months and
its repayment periods (one a month) without arrears, counted from the restructuring and again
from each new arrears. An inspection may classify worse than the floor, never better; nothing
classifies better than it.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from loans.choices import RiskClass

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


def effective_floor(loan: Any, policy: Any, now: datetime) -> RiskClass:
    """The best class ``loan`` may have now: its days past due (unless the overdue is technical)
    and its restructuring's observation."""
    floor = RiskClass.NORMAL if loan.overdue_technical else floor_for(loan.days_past_due)
    if under_observation(loan, policy, now):
        floor = max(floor, RESTRUCTURED_FLOOR)
    return RiskClass(floor)
