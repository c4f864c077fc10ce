"""When a loan's work is due: stage SLAs in business days, and the post-loan inspection schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from loans.choices import RiskClass
from loans.models import Loan, PolicyVersion, User
from loans.policy import current_policy
from loans.workflow import ESCALATION_BUSINESS_DAYS, INSPECTION_REMINDER_DAYS, STAGE_SLA, LoanState
from workflow.calendar import add_business_days
from workflow.models import Timer
from workflow.timers import TimerPlan


def stage_plan(loan: Loan, stage: LoanState, now: datetime) -> TimerPlan:
    sla = STAGE_SLA[stage]
    days = current_policy().sla_days[stage]
    if sla.business_days:
        due = add_business_days(now, days)
        remind = add_business_days(now, min(sla.remind_after, days))
    else:
        due = now + timedelta(days=days)
        remind = now + timedelta(days=min(sla.remind_after, days))
    return TimerPlan(
        kind=Timer.Kind.STAGE,
        stage=stage,
        remind_at=remind,
        due_at=due,
        escalate_at=add_business_days(due, ESCALATION_BUSINESS_DAYS),
    )


def inspection_due(
    loan: Loan, *, last_inspected_at: datetime | None = None, policy: PolicyVersion | None = None
) -> datetime:
    """The first inspection follows disbursement; each next one follows the last by class."""
    policy = policy or current_policy()
    if last_inspected_at is None:
        assert loan.disbursed_at is not None  # noqa: S101 - only disbursed loans are inspected
        return loan.disbursed_at + timedelta(days=policy.first_inspection_days)
    watch = loan.risk_class >= RiskClass.SPECIAL_MENTION
    days = (
        policy.inspection_interval_watch_days if watch else policy.inspection_interval_normal_days
    )
    return last_inspected_at + timedelta(days=days)


def inspection_plan(loan: Loan, *, last_inspected_at: datetime | None = None) -> TimerPlan:
    due = inspection_due(loan, last_inspected_at=last_inspected_at)
    return TimerPlan(
        kind=Timer.Kind.INSPECTION,
        stage=LoanState.POST_LOAN,
        remind_at=due - timedelta(days=INSPECTION_REMINDER_DAYS),
        due_at=due,
        escalate_at=add_business_days(due, ESCALATION_BUSINESS_DAYS),
    )


def owners(loan: Loan, stage: str) -> list[Any]:
    """Who owes the next step of ``stage``: the staff of the stage's roles in the loan's branch,
    or the account manager."""
    sla = STAGE_SLA.get(LoanState(stage)) if stage in STAGE_SLA else None
    if sla is None or not sla.owners:
        return [loan.account_manager]
    return list(
        User.objects.filter(
            branch_id=loan.branch_id, is_active=True, groups__name__in=sla.owners
        ).distinct()
    )
