"""The weekly tables of process analytics, recomputed from stage visits and the deviation log.

The hourly task recomputes the weeks from the one before last (``RECENT_DAYS``): a stage visit or
a deviation lands in the week it happened, so older weeks do not change; ``manage.py
backfill_process`` recomputes every week. The funnel is recomputed whole, because a loan opened
long ago may still move: one read of the loans and two grouped reads of the stage visits. Both
also count the loans waiting and stalled now (insight/process_now.py). Each table is replaced in
one transaction, so a run twice over the same data leaves the same rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, IntegerField, Max, Value, When
from django.utils import timezone

from insight.process_models import DeviationWeek, FunnelWeek, Outcome, StageVisit, StageWeek
from insight.process_now import stage_now_count
from insight.process_record import ORDER, STAGES, visits_record
from loans.models import Branch, Loan
from loans.states import LoanState
from workflow.models import Deviation

RECENT_DAYS = 14
OVERLAP = timedelta(days=1)
# The histograms' resolution: (up to these hours, buckets of these hours). Beyond the last, a
# week. A histogram of stays up to a year has at most 135 keys, however many stays it counts.
RESOLUTION = ((24, 1), (72, 2), (168, 6), (720, 24))
WEEK_HOURS = 168


def bucket(hours: int) -> int:
    """The start of the histogram bucket ``hours`` falls in: the hour below a day, two hours to
    three days, six to a week, a day to thirty days, then a week."""
    size = next((size for limit, size in RESOLUTION if hours < limit), WEEK_HOURS)
    return hours - hours % size


DISBURSED = (LoanState.POST_LOAN, LoanState.CLOSED)
DROPPED = (Outcome.REJECTED, Outcome.WITHDRAWN)


def week_of(moment: datetime | date) -> date:
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def start_of(week: date) -> datetime:
    return timezone.make_aware(datetime.combine(week, time.min))


def process_aggregate(*, since: date | None = None) -> int:
    """Recompute the weekly tables from ``since``'s week (every week when None), and count the
    loans waiting and stalled now; the rows written."""
    first = week_of(since) if since else None
    with transaction.atomic():
        weekly = _stage_weeks(first) + _deviation_weeks(first) + _funnel_weeks()
        return weekly + stage_now_count()


def process_refresh() -> int:
    """What the hourly task does: the stage visits of the timers stopped since the last visit
    known (a day's overlap: a transaction still open then has committed since), then the recent
    weeks, the funnel and the loans waiting now."""
    last = StageVisit.objects.aggregate(last=Max("left_at"))["last"]
    visits_record(since=last - OVERLAP if last else None)
    return process_aggregate(since=timezone.localdate() - timedelta(days=RECENT_DAYS))


@dataclass
class _Cell:
    visits: int = 0
    overdue: int = 0
    total: int = 0
    hours: Counter[int] = field(default_factory=Counter)


def _stage_weeks(first: date | None) -> int:
    visits = StageVisit.objects.order_by()
    if first is not None:
        visits = visits.filter(left_at__gte=start_of(first))
    cells: dict[tuple[Any, ...], _Cell] = defaultdict(_Cell)
    rows = visits.values_list(
        "left_at",
        "branch_id",
        "product_id",
        "actor_id",
        "stage",
        "outcome",
        "reason",
        "hours",
        "due_at",
    )
    for left, branch, product, actor, stage, outcome, reason, hours, due in rows.iterator(
        chunk_size=5000
    ):
        cell = cells[(week_of(left), branch, product or 0, actor or 0, stage, outcome, reason)]
        cell.visits += 1
        cell.overdue += int(due is not None and left > due)
        cell.total += hours
        cell.hours[bucket(hours)] += 1
    old = StageWeek.objects.all() if first is None else StageWeek.objects.filter(week__gte=first)
    old.delete()
    StageWeek.objects.bulk_create(
        [
            StageWeek(
                week=week,
                branch_id=branch,
                product_key=product,
                person_key=actor,
                stage=stage,
                outcome=outcome,
                reason=reason,
                visits=cell.visits,
                overdue=cell.overdue,
                total_hours=cell.total,
                hours={str(h): n for h, n in sorted(cell.hours.items())},
            )
            for (week, branch, product, actor, stage, outcome, reason), cell in cells.items()
        ],
        batch_size=2000,
    )
    return len(cells)


def deviation_checks(failed_checks: list[dict[str, Any]], kind: str) -> list[str]:
    """The checks a deviation counts against: those that failed, or its kind when none did."""
    codes = [str(item.get("code")) for item in failed_checks or [] if item.get("code")]
    return codes or [kind]


def _deviation_weeks(first: date | None) -> int:
    deviations = Deviation.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan)
    ).order_by()
    if first is not None:
        deviations = deviations.filter(created_at__gte=start_of(first))
    offices = dict(Branch.objects.values_list("code", "pk"))
    counts: Counter[tuple[date, int, int, str]] = Counter()
    rows = deviations.values_list("created_at", "scope", "actor_id", "failed_checks", "kind")
    for at, scope, actor, failed, kind in rows.iterator(chunk_size=5000):
        office = offices.get(scope)
        if office is None:
            continue
        for code in deviation_checks(failed, kind):
            counts[(week_of(at), office, actor or 0, code)] += 1
    old = (
        DeviationWeek.objects.all()
        if first is None
        else DeviationWeek.objects.filter(week__gte=first)
    )
    old.delete()
    DeviationWeek.objects.bulk_create(
        [
            DeviationWeek(week=w, branch_id=b, person_key=p, check_code=c, count=n)
            for (w, b, p, c), n in counts.items()
        ],
        batch_size=2000,
    )
    return len(counts)


def _stage_order() -> Case:
    return Case(
        *[When(stage=stage, then=Value(index)) for stage, index in ORDER.items()],
        default=Value(-1),
        output_field=IntegerField(),
    )


@dataclass
class _Cohort:
    opened: int = 0
    disbursed: int = 0
    reached: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    withdrawn: Counter[str] = field(default_factory=Counter)


def _funnel_weeks() -> int:
    passed = dict(
        StageVisit.objects.filter(outcome=Outcome.FORWARD)
        .order_by()
        .values("loan_id")
        .annotate(top=Max(_stage_order()))
        .values_list("loan_id", "top")
    )
    dropped = {
        loan: (stage, outcome)
        for loan, stage, outcome in StageVisit.objects.filter(outcome__in=DROPPED)
        .order_by()
        .values_list("loan_id", "stage", "outcome")
    }
    cohorts: dict[tuple[date, int, int, int], _Cohort] = defaultdict(_Cohort)
    loans = Loan.objects.order_by().values_list(
        "pk", "created_at", "branch_id", "product_id", "account_manager_id", "state"
    )
    for pk, created, branch, product, manager, state in loans.iterator(chunk_size=5000):
        cohort = cohorts[(week_of(created), branch, product or 0, manager or 0)]
        cohort.opened += 1
        furthest = max(ORDER.get(state, 0), passed.get(pk, -2) + 1)
        if state in DISBURSED:
            furthest = len(STAGES)
        for stage in STAGES[: furthest + 1]:
            cohort.reached[stage] += 1
        cohort.disbursed += int(furthest >= len(STAGES))
        if pk in dropped:
            stage, outcome = dropped[pk]
            (cohort.rejected if outcome == Outcome.REJECTED else cohort.withdrawn)[stage] += 1
    FunnelWeek.objects.all().delete()
    FunnelWeek.objects.bulk_create(
        [
            FunnelWeek(
                week=week,
                branch_id=branch,
                product_key=product,
                person_key=manager,
                opened=c.opened,
                disbursed=c.disbursed,
                reached=dict(c.reached),
                rejected=dict(c.rejected),
                withdrawn=dict(c.withdrawn),
            )
            for (week, branch, product, manager), c in cohorts.items()
        ],
        batch_size=2000,
    )
    return len(cohorts)
