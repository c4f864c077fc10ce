"""When a collection case's work is due: its state's SLA, and who owes the next step."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from loans.models import User
from loans.policy import current_policy
from recovery.states import CaseState
from recovery.workflow import CASE_SLA, ESCALATION_BUSINESS_DAYS
from workflow.calendar import add_business_days
from workflow.models import Timer
from workflow.timers import TimerPlan


def case_plan(case: Any, state: CaseState, now: datetime) -> TimerPlan | None:
    """The timer of ``state``: its SLA from the policy, or the day after a promised date."""
    if state == CaseState.PROMISE_TO_PAY and case.promised_date is not None:
        due = timezone.make_aware(datetime.combine(case.promised_date, time.min)) + timedelta(
            days=1
        )
        remind = due - timedelta(days=1)
    elif state in CASE_SLA:
        sla = CASE_SLA[state]
        days = current_policy().collection_sla_days[state]
        if sla.business_days:
            due = add_business_days(now, days)
            remind = add_business_days(now, min(sla.remind_after, days))
        else:
            due = now + timedelta(days=days)
            remind = now + timedelta(days=min(sla.remind_after, days))
    else:
        return None
    return TimerPlan(
        kind=Timer.Kind.STAGE,
        stage=state,
        remind_at=max(remind, now),
        due_at=due,
        escalate_at=add_business_days(due, ESCALATION_BUSINESS_DAYS),
    )


def owners(case: Any, timer: Timer) -> list[Any]:
    """Who owes the next step of the timer's state: the staff of its roles in the case's branch,
    or the case's account manager."""
    sla = CASE_SLA.get(CaseState(timer.stage)) if timer.stage in CaseState.values else None
    if sla is None or not sla.owners:
        return [case.account_manager]
    return list(
        User.objects.filter(
            branch_id=case.branch_id, is_active=True, groups__name__in=sla.owners
        ).distinct()
    )
