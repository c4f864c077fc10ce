"""Writes of the collection domain: the actions' services (called only by the engine) and the
daily opener of cases."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from loans.models import Loan
from loans.policy import policy_in_force
from loans.states import LoanState
from recovery.models import CollectionCase, ContactAttempt, WriteOffEndorsement
from recovery.states import BLOCKING_STATES
from workflow import timers
from workflow.checks import CheckContext
from workflow.engine import record_event
from workflow.models import Channel

logger = logging.getLogger(__name__)


def contact_log(ctx: CheckContext) -> ContactAttempt:
    data = ctx.payload
    return ContactAttempt.objects.create(
        case=ctx.obj,
        made_by=ctx.actor,
        contacted_at=data["contacted_at"],
        channel=data["channel"],
        reached=bool(data.get("reached")),
        notes=str(data["notes"]).strip(),
    )


def write_off_endorse(ctx: CheckContext) -> WriteOffEndorsement:
    return WriteOffEndorsement.objects.create(
        case=ctx.obj, approver=ctx.actor, note=str(ctx.payload["note"]).strip()
    )


# --- the daily opener -----------------------------------------------------------------------------


def loans_due_for_collection(threshold: int) -> list[int]:
    """Ids of loans in post-loan more than ``threshold`` days past due with no case under way."""
    return list(
        Loan.objects.filter(state=LoanState.POST_LOAN, days_past_due__gt=threshold)
        .exclude(collection_cases__state__in=BLOCKING_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def collection_cases_open(*, now: datetime | None = None) -> list[CollectionCase]:
    """Open a case for every loan more than the policy's ``collection_after_days`` past due that
    has none under way; return the cases opened. Idempotent: a second run (or a concurrent one)
    opens nothing more."""
    moment = now or timezone.now()
    threshold = policy_in_force(moment).collection_after_days
    opened = []
    for loan_id in loans_due_for_collection(threshold):
        case = case_open(loan_id=loan_id, threshold=threshold, now=moment)
        if case is not None:
            opened.append(case)
    return opened


def case_open(*, loan_id: int, threshold: int, now: datetime) -> CollectionCase | None:
    """Open the case of one loan, deciding again under the loan's row lock (a read lock for this
    purpose: the loan is not written); None when it needs none or has one already."""
    try:
        with transaction.atomic(durable=True):
            loan = (
                Loan.objects.select_for_update(of=("self",))
                .select_related("branch")
                .filter(pk=loan_id)
                .first()
            )
            if (
                loan is None
                or loan.state != LoanState.POST_LOAN
                or loan.days_past_due <= threshold
                or loan.collection_cases.filter(state__in=BLOCKING_STATES).exists()
            ):
                return None
            case: CollectionCase = CollectionCase.objects.create(
                loan=loan,
                branch_id=loan.branch_id,
                account_manager_id=loan.account_manager_id,
                opened_at=now,
                state_entered_at=now,
                days_past_due_at_opening=loan.days_past_due,
            )
            timers.start_initial(case)
            record_event(
                case,
                "case_opened",
                actor=None,
                payload={
                    "loan": loan.reference,
                    "days_past_due": loan.days_past_due,
                    "risk_class": loan.risk_class,
                    "collection_after_days": threshold,
                },
                channel=Channel.SYSTEM,
                role="system",
                now=now,
            )
            return case
    except IntegrityError:  # another opener won the race on the unique constraint
        logger.info("collection case of loan %s opened by another run", loan_id)
        return None
