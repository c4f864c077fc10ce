"""Stage visits: derived from the engine's own record, incrementally and as a backfill.

When a transition moves a loan out of a stage of the application, the engine stops that stage's
timer (its ``started_at`` is when the loan entered the stage, its ``due_at`` the SLA's deadline,
its ``stopped_at`` the transition's moment) and appends the transition's audit event at that
moment (who, with which return reason). ``visits_record`` reads the timers stopped since a moment
and their events, and upserts one visit each: the hourly task runs it over the timers stopped
since the last visit it knows (a day's overlap), so a transition pays nothing for it.
``visits_backfill`` reads the same two records loan by loan from the audit trail, so it writes
the same rows, and also the visits of loans moved without timers. Neither writes to a loan's file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType

from insight.process_models import Outcome, StageVisit
from loans.models import Loan
from loans.states import LoanState
from loans.workflow import STAGE_ROLE, STAGE_SLA
from workflow.models import AuditEvent, Timer

# The stages of the application, in order: those with an SLA, from intake to disbursement.
STAGES: tuple[str, ...] = tuple(str(stage) for stage in STAGE_SLA)
ORDER = {stage: index for index, stage in enumerate(STAGES)}
# Who holds a loan in each stage: the role whose work it waits for.
HOLDER = {str(stage): str(STAGE_ROLE[stage]) for stage in STAGE_SLA}
CHUNK = 2000
UPDATED = ["branch", "product", "manager", "actor", "entered_at", "hours", "due_at", "outcome"]


def outcome_of(source: str, target: str) -> Outcome:
    if target == LoanState.REJECTED:
        return Outcome.REJECTED
    if target == LoanState.WITHDRAWN:
        return Outcome.WITHDRAWN
    if target in ORDER and ORDER[target] < ORDER[source]:
        return Outcome.RETURNED
    return Outcome.FORWARD


def hours_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() / 3600 + 0.5))


def visit_of(
    loan: Any,
    *,
    stage: str,
    entered_at: datetime,
    left_at: datetime,
    due_at: datetime | None,
    target: str,
    actor_id: int | None,
    payload: dict[str, Any],
) -> StageVisit:
    outcome = outcome_of(stage, target)
    return StageVisit(
        loan_id=loan.pk,
        branch_id=loan.branch_id,
        product_id=loan.product_id,
        manager_id=loan.account_manager_id,
        actor_id=actor_id,
        stage=stage,
        entered_at=entered_at,
        left_at=left_at,
        hours=hours_between(entered_at, left_at),
        due_at=due_at,
        outcome=outcome,
        reason=str(payload.get("reason") or "") if outcome == Outcome.RETURNED else "",
    )


def visits_save(visits: Iterable[StageVisit]) -> int:
    """Upsert on (loan, stage, left_at): writing a visit again changes nothing."""
    batch = list(visits)
    if batch:
        StageVisit.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["loan", "stage", "left_at"],
            update_fields=[*UPDATED, "reason"],
        )
    return len(batch)


def visits_record(*, since: datetime | None = None) -> int:
    """Write the stage visits of the stage timers stopped since ``since`` (all when None); the
    rows written. The timers are read along ``insight_timer_stopped_stage``, their transitions'
    audit events and their loans with one statement each per chunk."""
    loan_type = ContentType.objects.get_for_model(Loan)
    timers = Timer.objects.filter(
        content_type=loan_type, kind=Timer.Kind.STAGE, stopped_at__isnull=False
    )
    if since is not None:
        timers = timers.filter(stopped_at__gte=since)
    rows = timers.order_by("stopped_at", "pk").values_list(
        "object_id", "stage", "started_at", "stopped_at", "due_at"
    )
    written, chunk = 0, []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            written += visits_save(_visits_of_timers(chunk))
            chunk = []
    return written + (visits_save(_visits_of_timers(chunk)) if chunk else 0)


def _visits_of_timers(timers: list[tuple[Any, ...]]) -> Iterator[StageVisit]:
    ids = {loan_id for loan_id, *_rest in timers}
    loans = Loan.objects.only("pk", "branch_id", "product_id", "account_manager_id").in_bulk(ids)
    events = {
        (loan_id, at): (source, target, actor_id, payload)
        for loan_id, at, source, target, actor_id, payload in AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id__in=ids,
            kind=AuditEvent.Kind.TRANSITIONED,
            created_at__gte=min(stopped for *_rest, stopped, _due in timers),
        ).values_list(
            "object_id", "created_at", "source_state", "target_state", "actor_id", "payload"
        )
    }
    for loan_id, stage, started, stopped, due in timers:
        event = events.get((loan_id, stopped))
        if event is None or loan_id not in loans or event[0] != stage:
            continue  # not stopped by a transition out of its stage
        _source, target, actor_id, payload = event
        yield visit_of(
            loans[loan_id],
            stage=stage,
            entered_at=started,
            left_at=stopped,
            due_at=due,
            target=target,
            actor_id=actor_id,
            payload=payload or {},
        )


def visits_backfill() -> int:
    """Rebuild every loan's stage visits from its audit trail and stage timers; the rows written.

    Loans are read in chunks of ``CHUNK``; each chunk's transitions and stopped stage timers are
    read with one statement each, along their (content type, object) indexes."""
    written = 0
    loans = Loan.objects.order_by("pk").only(
        "pk", "branch_id", "product_id", "account_manager_id", "created_at"
    )
    last = 0
    while chunk := list(loans.filter(pk__gt=last)[:CHUNK]):
        last = chunk[-1].pk
        written += visits_save(_visits_of(chunk))
    return written


def _visits_of(loans: list[Loan]) -> Iterator[StageVisit]:
    loan_type = ContentType.objects.get_for_model(Loan)
    ids = [loan.pk for loan in loans]
    timers = {
        (loan_id, stage, stopped): (started, due)
        for loan_id, stage, stopped, started, due in Timer.objects.filter(
            content_type=loan_type,
            object_id__in=ids,
            kind=Timer.Kind.STAGE,
            stopped_at__isnull=False,
        ).values_list("object_id", "stage", "stopped_at", "started_at", "due_at")
    }
    events = (
        AuditEvent.objects.filter(
            content_type=loan_type, object_id__in=ids, kind=AuditEvent.Kind.TRANSITIONED
        )
        .order_by("object_id", "seq")
        .values_list(
            "object_id", "created_at", "source_state", "target_state", "actor_id", "payload"
        )
    )
    by_id = {loan.pk: loan for loan in loans}
    entered: dict[int, datetime] = {}
    for loan_id, at, source, target, actor_id, payload in events.iterator(chunk_size=CHUNK):
        if source == target:  # a step within the stage (an endorsement)
            continue
        loan = by_id[loan_id]
        since = entered.get(loan_id, loan.created_at)
        entered[loan_id] = at
        if source not in ORDER:
            continue
        started, due = timers.get((loan_id, source, at), (since, None))
        yield visit_of(
            loan,
            stage=source,
            entered_at=started,
            left_at=at,
            due_at=due,
            target=target,
            actor_id=actor_id,
            payload=payload or {},
        )
