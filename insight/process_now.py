"""The loans waiting in each stage of the application now, and those stalled past their SLA.

The hourly task (and ``manage.py backfill_process``) counts them from the running stage timers,
by office, product, account manager and stage, into ``StageNow``, replaced whole at each run: one
grouped statement over the running stage timers, each with its loan's product and account
manager. The page reads those counts whatever its filters (as of that run: at most an hour old),
so a person who manages 55,000 open loans costs it what one who manages 550 does. Only the fifty
loans longest past their deadline are read live, along the partial index
``insight_timer_running_due`` (scope, due_at, id) of running stage timers: the walk stops at the
fiftieth (docs/insight.md, "Process analytics").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from insight.process_models import StageNow
from insight.process_record import STAGES
from loans.models import Branch, Loan
from workflow.models import Timer

if TYPE_CHECKING:  # the filters' module reads the weeks of process_aggregate, which counts here
    from insight.process_filters import Filters
    from insight.scope import Scope


@dataclass(frozen=True)
class WaitingNow:
    """The loans waiting (and, of them, stalled) per stage at the hourly task's last run."""

    counted_at: datetime | None  # None: the task has not counted yet
    waiting: Counter[str]
    stalled: Counter[str]


def _running() -> QuerySet[Timer]:
    return Timer.objects.filter(
        kind=Timer.Kind.STAGE,
        stopped_at__isnull=True,
        content_type=ContentType.objects.get_for_model(Loan),
    )


def running_timers(scope: Scope, filters: Filters) -> QuerySet[Timer]:
    """The running stage timers of the scope's loans (of the filters' product and account
    manager): one per loan waiting in a stage."""
    timers = _running().filter(scope__in=[office.code for office in scope.offices])
    if filters.product is not None or filters.person is not None:
        loans = Loan.objects.filter(branch_id__in=scope.branch_ids, state__in=STAGES)
        if filters.product is not None:
            loans = loans.filter(product_id=filters.product)
        if filters.person is not None:
            loans = loans.filter(account_manager_id=filters.person)
        timers = timers.filter(object_id__in=loans.values("pk"))
    return timers


def stage_now_count(*, now: datetime | None = None) -> int:
    """Replace ``StageNow`` with the running stage timers counted now; the rows written."""
    now = now or timezone.now()
    offices = dict(Branch.objects.values_list("code", "pk"))
    loan = Loan.objects.filter(pk=OuterRef("object_id")).order_by()
    rows = (
        _running()
        .order_by()
        .annotate(
            product=Subquery(loan.values("product_id")),
            manager=Subquery(loan.values("account_manager_id")),
        )
        .values_list("scope", "product", "manager", "stage")
        .annotate(waiting=Count("pk"), stalled=Count("pk", filter=Q(due_at__lt=now)))
    )
    cells: dict[tuple[int, int, int, str], Counter[str]] = {}
    for scope, product, manager, stage, waiting, stalled in rows:
        office = offices.get(scope)
        if office is not None:
            cell = cells.setdefault((office, product or 0, manager or 0, stage), Counter())
            cell.update(waiting=waiting, stalled=stalled)
    StageNow.objects.all().delete()
    StageNow.objects.bulk_create(
        [
            StageNow(
                counted_at=now,
                branch_id=office,
                product_key=product,
                person_key=manager,
                stage=stage,
                waiting=cell["waiting"],
                stalled=cell["stalled"],
            )
            for (office, product, manager, stage), cell in cells.items()
        ],
        batch_size=2000,
    )
    return len(cells)


def waiting_now(scope: Scope, filters: Filters) -> WaitingNow:
    """The scope's loans waiting and stalled per stage at the last count, of the filters'
    product and account manager: two statements on ``StageNow``, whatever the filters."""
    rows = StageNow.objects.filter(branch_id__in=scope.branch_ids)
    if filters.product is not None:
        rows = rows.filter(product_key=filters.product)
    if filters.person is not None:
        rows = rows.filter(person_key=filters.person)
    waiting: Counter[str] = Counter()
    stalled: Counter[str] = Counter()
    for stage, loans, late in (
        rows.order_by().values_list("stage").annotate(loans=Sum("waiting"), late=Sum("stalled"))
    ):
        waiting[stage] += loans
        stalled[stage] += late
    counted_at = StageNow.objects.order_by("pk").values_list("counted_at", flat=True).first()
    return WaitingNow(counted_at=counted_at, waiting=waiting, stalled=stalled)
