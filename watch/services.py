"""Writes of the watch list: the early-warning evaluation that opens items, the action note's
service (called only by the engine) and the escalation joining an item's chain.

Opening is idempotent: an occurrence (watch/rules.py) that has an item opens nothing more, and an
episode with an open item opens no other; the unique occurrence key is the database's backstop
when two evaluations race.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from loans.models import Loan
from watch.models import WatchItem, WatchNote
from watch.rules import SIGNALS, Occurrence, Signal
from watch.schedule import due_at
from watch.states import ESCALATED, OPENED, ItemState
from workflow import timers
from workflow.audit import json_ready
from workflow.checks import CheckContext
from workflow.engine import record_event
from workflow.models import AuditEvent, Channel

logger = logging.getLogger(__name__)


def watch_note(ctx: CheckContext) -> WatchNote:
    return WatchNote.objects.create(
        item=ctx.obj, author=ctx.actor, text=str(ctx.payload["note"]).strip(), created_at=ctx.now
    )


# --- the evaluation ---------------------------------------------------------------------------


def signals_evaluate(
    *,
    signals: Iterable[Signal] = SIGNALS,
    loan_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[WatchItem]:
    """Evaluate ``signals`` on the loans ``loan_ids`` (None: every loan) and open an item for each
    new occurrence; return the items opened. A second run opens nothing more."""
    moment = now or timezone.now()
    ids = None if loan_ids is None else set(loan_ids)
    found = [(signal, o) for signal in signals for o in signal.find(ids, moment)]
    if not found:
        return []
    keys = {o.key for _, o in found}
    episodes = {o.episode or o.key for _, o in found}
    taken = set(WatchItem.objects.filter(occurrence__in=keys).values_list("occurrence", flat=True))
    taken |= set(
        WatchItem.objects.filter(state=ItemState.OPEN, episode__in=episodes).values_list(
            "episode", flat=True
        )
    )
    new = [(s, o) for s, o in found if o.key not in taken and (o.episode or o.key) not in taken]
    loans = Loan.objects.select_related("branch", "account_manager").in_bulk(
        {o.loan_id for _, o in new}
    )
    opened = []
    for signal, occurrence in new:
        loan = loans.get(occurrence.loan_id)
        if loan is None or (occurrence.episode or occurrence.key) in taken:
            continue
        item = item_open(signal=signal, occurrence=occurrence, loan=loan, now=moment)
        if item is not None:
            opened.append(item)
            taken.add(item.episode)
    return opened


def item_open(
    *, signal: Signal, occurrence: Occurrence, loan: Loan, now: datetime
) -> WatchItem | None:
    """Open the item of one occurrence for the loan's account manager, with its SLA timer and
    the first event of its chain; None when another evaluation opened it first."""
    try:
        with transaction.atomic():
            item: WatchItem = WatchItem.objects.create(
                signal=signal.code,
                occurrence=occurrence.key,
                episode=occurrence.episode or occurrence.key,
                severity=signal.severity,
                facts=json_ready(dict(occurrence.facts)),
                loan=loan,
                branch_id=loan.branch_id,
                account_manager_id=loan.account_manager_id,
                opened_at=now,
                state_entered_at=now,
                due_at=due_at(signal.severity, now),
            )
            timers.start_initial(item)
            record_event(
                item,
                OPENED,
                actor=None,
                payload={
                    "signal": signal.code,
                    "occurrence": occurrence.key,
                    "loan": loan.reference,
                    "facts": dict(occurrence.facts),
                },
                channel=Channel.SYSTEM,
                role="system",
                now=now,
            )
            return item
    except IntegrityError:  # another evaluation opened this occurrence's item
        logger.info("watch-list item %s opened by another run", occurrence.key)
        return None


def item_escalation_record(*, item_id: int, now: datetime | None = None) -> bool:
    """The sweep escalated the item's SLA to the branch head: append it to the item's chain,
    once (the outbox may deliver twice). False when there is nothing to record."""
    with transaction.atomic():
        item = WatchItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            return False
        recorded = AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(WatchItem),
            object_id=item.pk,
            action=ESCALATED,
        ).exists()
        if recorded:
            return False
        record_event(
            item,
            ESCALATED,
            actor=None,
            payload={"due_at": item.due_at},
            channel=Channel.SYSTEM,
            role="system",
            now=now,
        )
        return True
