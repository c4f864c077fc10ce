"""Every table of the process analytics as plain rows: what the page shows beside each chart and
what the CSV and XLSX exports write (insight/tables.py writes them)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from insight.process import ProcessFigures
from insight.tables import SHARE_FORMAT, Table

DAYS_FORMAT = "0.0"
DAY = Decimal("0.1")


def days(hours: int | None) -> Decimal | None:
    """Hours as days, to a tenth."""
    return None if hours is None else (Decimal(hours) / 24).quantize(DAY, rounding=ROUND_HALF_UP)


def process_tables(figures: ProcessFigures) -> list[Table]:
    return [
        _stages(figures),
        _holders(figures),
        _stalled(figures),
        _funnel(figures),
        _returns(figures),
        _heatmap(figures),
        _trend(figures),
    ]


def _stages(figures: ProcessFigures) -> Table:
    return Table(
        name="stages",
        title=_("Time per stage"),
        headers=[
            _("Stage"),
            _("Held by"),
            _("Stays ended"),
            _("Median (days)"),
            _("90th percentile (days)"),
            _("Past the SLA"),
            _("Returned"),
        ],
        rows=[
            [
                s.label,
                s.holder,
                s.visits,
                days(s.median_hours),
                days(s.p90_hours),
                s.overdue_rate,
                s.return_rate,
            ]
            for s in figures.stages
        ],
        formats=[None, None, None, DAYS_FORMAT, DAYS_FORMAT, SHARE_FORMAT, SHARE_FORMAT],
    )


def _holders(figures: ProcessFigures) -> Table:
    return Table(
        name="holders",
        title=_("Waiting for whom"),
        headers=[
            _("Role"),
            _("Time held (days)"),
            _("Share of the time"),
            _("Waiting at the last count"),
            _("Stalled at the last count"),
        ],
        rows=[[h.label, days(h.hours), h.share, h.waiting, h.stalled] for h in figures.holders],
        formats=[None, DAYS_FORMAT, SHARE_FORMAT, None, None],
    )


def _stalled(figures: ProcessFigures) -> Table:
    return Table(
        name="stalled",
        title=_("Stalled past the SLA"),
        headers=[
            _("Loan"),
            _("Stage"),
            _("Held by"),
            _("Account manager"),
            _("Due"),
            _("Days late"),
        ],
        rows=[
            [
                s.loan.reference,
                s.stage,
                s.holder,
                s.loan.account_manager.get_full_name() or s.loan.account_manager.username,
                timezone.localtime(s.due_at).replace(tzinfo=None),
                s.days_late,
            ]
            for s in figures.stalled
        ],
        formats=[None, None, None, None, "yyyy-mm-dd hh:mm", None],
    )


def _funnel(figures: ProcessFigures) -> Table:
    return Table(
        name="funnel",
        title=_("From application to disbursement"),
        headers=[_("Step"), _("Loans"), _("Share of applications"), _("Rejected"), _("Withdrawn")],
        rows=[[f.label, f.loans, f.share, f.rejected, f.withdrawn] for f in figures.funnel],
        formats=[None, None, SHARE_FORMAT, None, None],
    )


def _returns(figures: ProcessFigures) -> Table:
    return Table(
        name="returns",
        title=_("Returns by stage and reason"),
        headers=[_("Returned from"), _("Reason"), _("Returns"), _("Rate")],
        rows=[[r.label, r.reason_label, r.returns, r.rate] for r in figures.returns],
        formats=[None, None, None, SHARE_FORMAT],
    )


def _heatmap(figures: ProcessFigures) -> Table:
    weeks = figures.heat.weeks
    return Table(
        name="heatmap",
        title=_("Deviations by check, person and week"),
        headers=[_("Check"), _("Person"), *[f"{w:%Y-%m-%d}" for w in weeks], _("Total")],
        rows=[
            [row.check_label, row.person_label, *row.counts, row.total] for row in figures.heat.rows
        ],
        formats=[None, None, *[None] * len(weeks), None],
    )


def _trend(figures: ProcessFigures) -> Table:
    trend = figures.heat.trend
    return Table(
        name="trend",
        title=_("Deviations per check, week by week"),
        headers=[_("Week"), *[t.label for t in trend]],
        rows=[[week, *[t.counts[n] for t in trend]] for n, week in enumerate(figures.heat.weeks)],
        formats=["yyyy-mm-dd", *[None] * len(trend)],
    )
