"""A hand-built process whose analytics are known: stage visits, running stage timers and
deviations written straight into their tables (test data only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType

from insight.process_models import Outcome, StageVisit
from insight.process_record import visits_save
from loans.models import Loan
from workflow.models import Channel, Deviation, Timer


def visit(loan, stage, *, hours, left_at, actor=None, outcome=Outcome.FORWARD, reason="", due=None):
    return StageVisit(
        loan_id=loan.pk,
        branch_id=loan.branch_id,
        product_id=loan.product_id,
        manager_id=loan.account_manager_id,
        actor=actor,
        stage=stage,
        entered_at=left_at - timedelta(hours=hours),
        left_at=left_at,
        hours=hours,
        due_at=due,
        outcome=outcome,
        reason=reason,
    )


def visits(*rows: StageVisit) -> None:
    visits_save(rows)


def running_timer(loan, stage, *, started: datetime, due: datetime) -> Timer:
    return Timer.objects.create(
        content_type=ContentType.objects.get_for_model(Loan),
        object_id=loan.pk,
        scope=loan.branch.code,
        kind=Timer.Kind.STAGE,
        stage=stage,
        started_at=started,
        due_at=due,
    )


def deviation(loan, actor, at: datetime, *, codes=(), kind=Deviation.Kind.CHECKS_FAILED):
    seq = Deviation.objects.filter(object_id=loan.pk).count() + 1
    return Deviation.objects.create(
        content_type=ContentType.objects.get_for_model(Loan),
        object_id=loan.pk,
        scope=loan.branch.code,
        actor=actor,
        transition="submit_for_review",
        from_state="site_visit",
        kind=kind,
        severity=Deviation.Severity.HIGH,
        failed_checks=[{"code": code} for code in codes],
        channel=Channel.WEB,
        policy_version="test",
        created_at=at,
        seq=seq,
        prev_hash="",
        hash=f"{loan.pk}-{seq}",
    )
