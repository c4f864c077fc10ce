"""Make some of the demo's work late, so a newcomer sees reminders, lateness and escalation.

Backdates the running timers (and the dates they follow) of a few loans: the scheduler started by
``make demo`` then sends the reminders, records the overdue deviations and escalates to the branch
head within its first sweeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from loans.models import Loan
from loans.states import LoanState
from workflow import timers
from workflow.models import Timer

# stage: how many loans in it to make late
LATE = {
    LoanState.INTAKE: 1,
    LoanState.SITE_VISIT: 2,
    LoanState.REVIEW: 1,
    LoanState.APPROVAL: 1,
}


@transaction.atomic
def make_work_late() -> int:
    """Backdate a few loans' stage timers past due and one post-loan inspection; return how
    many loans were changed."""
    now = timezone.now()
    changed = 0
    for state, count in LATE.items():
        for loan in Loan.objects.filter(state=state, branch__code="B01").order_by("pk")[:count]:
            entered = now - timedelta(days=8)
            due = now - timedelta(days=1)
            # The loan keeps its stage timer's due date (the queue's order, the navigation's
            # overdue counts), as the step into the stage does.
            Loan.objects.filter(pk=loan.pk).update(state_entered_at=entered, stage_due_at=due)
            _backdate(loan, Timer.Kind.STAGE, remind=now - timedelta(days=3), due=due)
            changed += 1
    inspected = Loan.objects.filter(state=LoanState.POST_LOAN).order_by("pk").first()
    if inspected is not None:
        paid = now - timedelta(days=20)
        opened = Least(F("created_at"), Value(paid - timedelta(days=14)))  # applied before paid
        Loan.objects.filter(pk=inspected.pk).update(disbursed_at=paid, created_at=opened)
        _backdate(
            inspected,
            Timer.Kind.INSPECTION,
            remind=now - timedelta(days=8),
            due=now - timedelta(days=5),
        )
        changed += 1
    return changed


def _backdate(loan: Loan, kind: Timer.Kind, *, remind: datetime, due: datetime) -> None:
    for timer in timers.running(loan).filter(kind=kind):
        timer.remind_at = remind
        timer.due_at = due
        timer.escalate_at = due + timedelta(hours=12)
        timer.refresh_next_action()
        timer.save()
