"""Demo data for the watch list: the demo's arrears, downgrades, misused funds and late
inspection raise their signals (the daily evaluation, as in production); a few items are made
late, as loans/demo_backlog.py makes work late, and one is resolved with its note."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from watch.models import WatchItem
from watch.services import signals_evaluate
from workflow import timers
from workflow.engine import perform_transition
from workflow.models import Channel, Timer

LATE = 2  # items whose SLA has run out, the branch head told


def watch_list_opened() -> list[WatchItem]:
    opened = signals_evaluate()
    now = timezone.now()
    for item in opened[:LATE]:
        due = now - timedelta(days=2)
        WatchItem.objects.filter(pk=item.pk).update(due_at=due)
        for timer in timers.running(item).filter(kind=Timer.Kind.STAGE):
            timer.remind_at, timer.due_at = due - timedelta(days=1), due
            timer.escalate_at = due + timedelta(days=1)
            timer.refresh_next_action()
            timer.save()
    for item in [i for i in opened[LATE:] if i.signal == "downgrade"][:1]:
        perform_transition(
            item,
            "resolve",
            actor=item.account_manager,
            payload={
                "note": "Reviewed the file with the borrower: the downgrade follows the arrears; "
                "monthly inspections booked."
            },
            channel=Channel.WEB,
        )
    return opened
