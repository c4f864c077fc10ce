"""When a watch-list item is due: business days by its severity from the opening."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watch.states import Severity
from watch.workflow import (
    ESCALATION_BUSINESS_DAYS,
    REMIND_BEFORE_BUSINESS_DAYS,
    SLA_DAYS,
)
from workflow.calendar import add_business_days
from workflow.models import Timer
from workflow.timers import TimerPlan


def due_at(severity: str, opened_at: datetime) -> datetime:
    return add_business_days(opened_at, SLA_DAYS[Severity(severity)])


def item_plan(item: Any, now: datetime) -> TimerPlan:
    """The item's SLA timer: reminded a business day before due, escalated a business day after."""
    days = SLA_DAYS[Severity(item.severity)]
    due = item.due_at or add_business_days(item.opened_at, days)
    remind = add_business_days(item.opened_at, max(days - REMIND_BEFORE_BUSINESS_DAYS, 0))
    return TimerPlan(
        kind=Timer.Kind.STAGE,
        stage=item.state,
        remind_at=max(remind, now),
        due_at=due,
        escalate_at=add_business_days(due, ESCALATION_BUSINESS_DAYS),
    )
