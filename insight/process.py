"""Process analytics of an office or a tree of offices: stage times, who the loans wait for, the
loans stalled past their SLA, the funnel, returns and the deviation heat-map.

Read from the weekly tables (insight/process_aggregate.py), the hourly count of the loans
waiting and stalled (insight/process_now.py) and the running stage timers, with a constant number
of statements whatever the number of loans or audit events: one per weekly table, two for the
hourly count (its figures and its moment), one for the fifty loans longest stalled now and one
for those loans, one for the names of the people. Medians and percentiles are nearest-rank,
exact to the hour.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insight.process_aggregate import week_of
from insight.process_filters import Filters, ratio
from insight.process_heat import Heat, heat_of
from insight.process_models import FunnelWeek, Outcome, StageWeek
from insight.process_now import running_timers, waiting_now
from insight.process_record import HOLDER, STAGES
from insight.scope import Scope
from loans.choices import ReturnReason
from loans.models import Loan
from loans.roles import Role
from loans.states import LoanState

STALLED_SHOWN = 50


def percentile(hours: Counter[int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram ``{hours: visits}``: the least value with at
    least ``share`` of the visits at or below it."""
    total = sum(hours.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for value in sorted(hours):
        seen += hours[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - the ranks sum to total


def stage_label(stage: str) -> str:
    return str(LoanState(stage).label)


def holder_label(stage: str) -> str:
    return str(Role(HOLDER[stage]).label)


@dataclass(frozen=True)
class StageFigure:
    stage: str
    label: str
    holder: str
    visits: int
    median_hours: int | None
    p90_hours: int | None
    overdue: int
    returned: int
    total_hours: int

    @property
    def overdue_rate(self) -> Decimal:
        return ratio(self.overdue, self.visits)

    @property
    def return_rate(self) -> Decimal:
        return ratio(self.returned, self.visits)


@dataclass(frozen=True)
class HolderFigure:
    role: str
    label: str
    hours: int
    share: Decimal
    waiting: int
    stalled: int


@dataclass(frozen=True)
class StalledLoan:
    loan: Loan
    stage: str
    holder: str
    due_at: datetime
    days_late: int


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    loans: int
    share: Decimal
    rejected: int
    withdrawn: int


@dataclass(frozen=True)
class ReturnFigure:
    stage: str
    reason: str
    label: str
    reason_label: str
    returns: int
    rate: Decimal  # of the visits that left the stage


@dataclass(frozen=True)
class ProcessFigures:
    scope: Scope
    filters: Filters
    stages: list[StageFigure]
    holders: list[HolderFigure]
    stalled: list[StalledLoan]  # now
    stalled_count: int  # at the hourly count
    counted_at: datetime | None  # the hourly count's moment (None: not counted yet)
    opened: int
    funnel: list[FunnelStep]
    returns: list[ReturnFigure]
    heat: Heat


def _filtered(rows: QuerySet[Any], scope: Scope, filters: Filters) -> QuerySet[Any]:
    rows = rows.filter(
        branch_id__in=scope.branch_ids,
        week__gte=week_of(filters.since),
        week__lte=week_of(filters.until),
    )
    if filters.product is not None:
        rows = rows.filter(product_key=filters.product)
    if filters.person is not None:
        rows = rows.filter(person_key=filters.person)
    return rows


def process_figures(
    scope: Scope, filters: Filters, *, now: datetime | None = None
) -> ProcessFigures:
    now = now or timezone.now()
    weeks = list(_filtered(StageWeek.objects.order_by(), scope, filters))
    stages = _stages(weeks)
    counted = waiting_now(scope, filters)
    stalled = _stalled(scope, filters, now)
    opened, funnel = _funnel(list(_filtered(FunnelWeek.objects.order_by(), scope, filters)))
    return ProcessFigures(
        scope=scope,
        filters=filters,
        stages=stages,
        holders=_holders(stages, counted.waiting, counted.stalled),
        stalled=stalled,
        stalled_count=sum(counted.stalled.values()),
        counted_at=counted.counted_at,
        opened=opened,
        funnel=funnel,
        returns=_returns(weeks, stages),
        heat=heat_of(scope, filters),
    )


def _stages(weeks: list[StageWeek]) -> list[StageFigure]:
    figures = []
    for stage in STAGES:
        rows = [row for row in weeks if row.stage == stage]
        hours: Counter[int] = Counter()
        for row in rows:
            hours.update({int(h): n for h, n in row.hours.items()})
        figures.append(
            StageFigure(
                stage=stage,
                label=stage_label(stage),
                holder=holder_label(stage),
                visits=sum(row.visits for row in rows),
                median_hours=percentile(hours, 0.5),
                p90_hours=percentile(hours, 0.9),
                overdue=sum(row.overdue for row in rows),
                returned=sum(row.visits for row in rows if row.outcome == Outcome.RETURNED),
                total_hours=sum(row.total_hours for row in rows),
            )
        )
    return figures


def _stalled(scope: Scope, filters: Filters, now: datetime) -> list[StalledLoan]:
    """The loans longest past their stage's SLA now, oldest deadline first: read along
    ``insight_timer_running_due`` (scope, due_at, id), which stops at the fiftieth."""
    timers = list(
        running_timers(scope, filters)
        .filter(due_at__lt=now)
        .order_by("due_at", "pk")
        .values_list("object_id", "stage", "due_at")[:STALLED_SHOWN]
    )
    loans = Loan.objects.select_related("account_manager", "product", "branch").in_bulk(
        [loan_id for loan_id, _stage, _due in timers]
    )
    return [
        StalledLoan(
            loan=loans[loan_id],
            stage=stage_label(stage) if stage in HOLDER else stage,
            holder=holder_label(stage) if stage in HOLDER else "",
            due_at=due,
            days_late=(now - due).days,
        )
        for loan_id, stage, due in timers
        if loan_id in loans
    ]


def _holders(
    stages: list[StageFigure], waiting: Counter[str], late: Counter[str]
) -> list[HolderFigure]:
    roles: dict[str, list[StageFigure]] = {}
    for figure in stages:
        roles.setdefault(HOLDER[figure.stage], []).append(figure)
    total = sum(figure.total_hours for figure in stages)
    return [
        HolderFigure(
            role=role,
            label=str(Role(role).label),
            hours=sum(f.total_hours for f in held),
            share=ratio(sum(f.total_hours for f in held), total),
            waiting=sum(waiting[f.stage] for f in held),
            stalled=sum(late[f.stage] for f in held),
        )
        for role, held in roles.items()
    ]


DISBURSED = "disbursed"


def _funnel(weeks: list[FunnelWeek]) -> tuple[int, list[FunnelStep]]:
    opened = sum(row.opened for row in weeks)
    reached: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    withdrawn: Counter[str] = Counter()
    for row in weeks:
        reached.update(row.reached)
        rejected.update(row.rejected)
        withdrawn.update(row.withdrawn)
    steps = [
        FunnelStep(
            key=stage,
            label=str(_("Application opened")) if stage == STAGES[0] else stage_label(stage),
            loans=reached[stage],
            share=ratio(reached[stage], opened),
            rejected=rejected[stage],
            withdrawn=withdrawn[stage],
        )
        for stage in STAGES
    ]
    disbursed = sum(row.disbursed for row in weeks)
    steps.append(
        FunnelStep(DISBURSED, str(_("Disbursed")), disbursed, ratio(disbursed, opened), 0, 0)
    )
    return opened, steps


def _returns(weeks: list[StageWeek], stages: list[StageFigure]) -> list[ReturnFigure]:
    visits = {figure.stage: figure.visits for figure in stages}
    counts: Counter[tuple[str, str]] = Counter()
    for row in weeks:
        if row.outcome == Outcome.RETURNED:
            counts[(row.stage, row.reason)] += row.visits
    reasons = dict(ReturnReason.choices)
    return [
        ReturnFigure(
            stage=stage,
            reason=reason,
            label=stage_label(stage),
            reason_label=str(reasons.get(reason, _("not recorded"))),
            returns=n,
            rate=ratio(n, visits.get(stage, 0)),
        )
        for (stage, reason), n in sorted(
            counts.items(), key=lambda item: (STAGES.index(item[0][0]), -item[1])
        )
    ]
