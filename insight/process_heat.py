"""The deviation heat-map (check × person × week) and the weekly trend of each check, read from
the weekly table of deviations: one statement for the cells, one for the people's names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from insight.process_filters import Filters
from insight.process_models import DeviationWeek
from insight.scope import Scope
from loans.models import Loan, User
from workflow.models import Deviation
from workflow.registry import process_for

SYSTEM = _("the system (lateness)")


@dataclass(frozen=True)
class HeatRow:
    check: str
    check_label: str
    person: int
    person_label: str
    counts: list[int]  # one per week of the period

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CheckTrend:
    check: str
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Heat:
    weeks: list[date]
    rows: list[HeatRow]  # the most deviations first
    trend: list[CheckTrend]

    @property
    def peak(self) -> int:
        return max((max(row.counts) for row in self.rows if row.counts), default=0)


def check_label(code: str) -> str:
    """A check's title, or the refusal's kind in words when no check failed."""
    if code in Deviation.Kind.values:
        return str(Deviation.Kind(code).label)
    return str(process_for(Loan).definition.check_title(code))


def heat_of(scope: Scope, filters: Filters) -> Heat:
    weeks = filters.weeks
    cells = DeviationWeek.objects.filter(
        branch_id__in=scope.branch_ids, week__gte=weeks[0], week__lte=weeks[-1]
    ).order_by()
    if filters.person is not None:
        cells = cells.filter(person_key=filters.person)
    index = {week: n for n, week in enumerate(weeks)}
    grid: dict[tuple[str, int], list[int]] = {}
    by_check: dict[str, list[int]] = {}
    for week, person, code, count in cells.values_list("week", "person_key", "check_code", "count"):
        grid.setdefault((code, person), [0] * len(weeks))[index[week]] += count
        by_check.setdefault(code, [0] * len(weeks))[index[week]] += count
    people = {person for _code, person in grid if person}
    names = (
        {
            user.pk: user.get_full_name() or user.username
            for user in User.objects.filter(pk__in=people).only(
                "pk", "first_name", "last_name", "username"
            )
        }
        if people
        else {}
    )
    labels = {code: check_label(code) for code in by_check}
    rows = [
        HeatRow(code, labels[code], person, names.get(person) or str(SYSTEM), counts)
        for (code, person), counts in grid.items()
    ]
    rows.sort(key=lambda row: (-row.total, row.check_label, row.person_label))
    totals = Counter({code: sum(counts) for code, counts in by_check.items()})
    trend = [CheckTrend(code, labels[code], by_check[code]) for code, _n in totals.most_common()]
    return Heat(weeks=weeks, rows=rows, trend=trend)
