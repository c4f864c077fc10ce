"""Five-class loan classification floors by days past due (2023 risk-classification measures).

Any overdue → at least special mention; more than 90 days → at least substandard; more than 270
→ at least doubtful; more than 360 → loss. An inspection may classify worse, never better.
"""

from __future__ import annotations

from loans.choices import RiskClass

# (more than this many days past due, at least this class), worst first.
FLOORS = (
    (360, RiskClass.LOSS),
    (270, RiskClass.DOUBTFUL),
    (90, RiskClass.SUBSTANDARD),
    (0, RiskClass.SPECIAL_MENTION),
)


def floor_for(days_past_due: int) -> RiskClass:
    for days, risk_class in FLOORS:
        if days_past_due > days:
            return risk_class
    return RiskClass.NORMAL
