"""A hand-built process whose analytics are known: stage visits, running stage timers and
deviations written straight into their tables (test data only)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from insight.process_aggregate import process_aggregate
from insight.process_models import Outcome, StageVisit
from insight.process_record import visits_save
from loans.choices import ReturnReason
from loans.models import Loan
from loans.states import LoanState as S
from tests import factories
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


def in_state(manager, product, state):
    loan = factories.LoanFactory(account_manager=manager, product=product)
    Loan.objects.filter(pk=loan.pk).update(state=state)
    loan.refresh_from_db()
    return loan


@pytest.fixture
def known(manager, reviewer, product):
    """Four applications: one disbursed, one rejected in review, one withdrawn in intake, one in
    site visit past its SLA; reviews of 10, 20, 30, 40 and 102 hours (one returned, one late);
    intakes of 24 and 48 hours; deviations by the manager and the reviewer."""
    now = timezone.now()
    ago = now - timedelta(days=3)
    disbursed = in_state(manager, product, S.POST_LOAN)
    rejected = in_state(manager, product, S.REJECTED)
    withdrawn = in_state(manager, product, S.WITHDRAWN)
    stalled = in_state(manager, product, S.SITE_VISIT)
    waiting = in_state(manager, product, S.REVIEW)
    visits(
        visit(disbursed, S.INTAKE, hours=24, left_at=ago, actor=manager),
        visit(stalled, S.INTAKE, hours=48, left_at=ago, actor=manager),
        visit(rejected, S.SITE_VISIT, hours=5, left_at=ago, actor=manager),
        *[
            visit(disbursed, S.REVIEW, hours=h, left_at=ago - timedelta(hours=h), actor=reviewer)
            for h in (10, 20, 40)
        ],
        visit(
            disbursed,
            S.REVIEW,
            hours=30,
            left_at=ago,
            actor=reviewer,
            outcome=Outcome.RETURNED,
            reason=ReturnReason.MISSING_DOCUMENTS,
            due=ago - timedelta(hours=1),
        ),
        visit(rejected, S.REVIEW, hours=102, left_at=ago, actor=reviewer, outcome=Outcome.REJECTED),
        visit(withdrawn, S.INTAKE, hours=2, left_at=ago, actor=manager, outcome=Outcome.WITHDRAWN),
    )
    running_timer(
        stalled, S.SITE_VISIT, started=now - timedelta(days=8), due=now - timedelta(days=3)
    )
    running_timer(waiting, S.REVIEW, started=now - timedelta(hours=5), due=now + timedelta(days=2))
    last_week = now - timedelta(days=7)
    for _ in range(3):
        deviation(stalled, manager, last_week, codes=["two_investigators"])
    deviation(stalled, manager, now, codes=["two_investigators"])
    deviation(stalled, reviewer, now, kind=Deviation.Kind.WRONG_ROLE)
    deviation(stalled, reviewer, now, kind=Deviation.Kind.WRONG_ROLE)
    process_aggregate()
    return {"stalled": stalled, "waiting": waiting, "disbursed": disbursed}
