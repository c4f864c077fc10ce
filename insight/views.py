"""The portfolio dashboards: the structure with its trends, the loans behind a figure, exports.

Thin: parse the query string, take the reader's scope (insight/scope.py), read, render. They may
be a moment behind: with a replica configured they read from it (config/db_router.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db_router import reads_from_replica
from insight.forms import ExportForm, FigureForm, ScopeForm, scope_choice
from insight.scope import Scope, scope_for
from insight.selectors import NEWEST, figure_filter, loans_behind
from insight.structure import Structure, portfolio_structure
from insight.tables import as_csv, as_xlsx, tables_of
from loans.models import User
from loans.paging import web_page
from loans.policy import policy_in_force


def _scope(request: HttpRequest, form: ScopeForm) -> Scope:
    user: User = request.user  # type: ignore[assignment]
    office, tree = scope_choice(form)
    return scope_for(user, office_id=office, tree=tree)


def _structure(scope: Scope) -> Structure:
    return portfolio_structure(scope, policy_in_force())


def chart_data(structure: Structure) -> dict[str, Any]:
    """What the charts draw (static/js/insight.js), passed with json_script: no inline script."""
    return {
        "breakdowns": {
            b.dimension: {
                "labels": [row.label for row in b.rows],
                "values": [float(row.balance) for row in b.rows],
            }
            for b in structure.breakdowns
        },
        "trend": {
            "days": [point.day.isoformat() for point in structure.trend],
            "balance": [float(point.balance) for point in structure.trend],
            "npl": [float(point.npl_ratio * 100) for point in structure.trend],
            "special_mention": [
                float(point.special_mention_ratio * 100) for point in structure.trend
            ],
            "names": {
                "balance": _("Outstanding balance (CNY)"),
                "npl": _("Non-performing ratio (%)"),
                "special_mention": _("Special-mention ratio (%)"),
            },
        },
    }


@login_required
@reads_from_replica()
def portfolio(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET)
    scope = _scope(request, form)
    structure = _structure(scope)
    query = f"office={scope.office.pk}&tree={int(scope.tree)}"
    return render(
        request,
        "insight/portfolio.html",
        {
            "structure": structure,
            "scope": scope,
            "query": query,
            "charts": chart_data(structure),
            "chart_kinds": {"risk_class": "pie", "guarantee_type": "pie"},
        },
    )


@login_required
@reads_from_replica()
def portfolio_loans(request: HttpRequest) -> HttpResponse:
    form = FigureForm(request.GET)
    scope = _scope(request, form)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The figure asked for is not valid."))
    dimension, key = form.cleaned_data["dimension"], form.cleaned_data["key"]
    where = figure_filter(dimension, key) if dimension else None
    if dimension and where is None:
        return HttpResponseBadRequest(_("The figure asked for is not valid."))
    page = web_page(request, loans_behind(scope.branch_ids, where), NEWEST)
    return render(
        request,
        "insight/portfolio_loans.html",
        {
            "scope": scope,
            "page": page,
            "dimension": dimension,
            "key": key,
            "back": f"office={scope.office.pk}&tree={int(scope.tree)}",
        },
        status=page.status,
    )


def _filename(scope: Scope, suffix: str) -> str:
    return f"portfolio-{scope.office.code}-{timezone.localdate():%Y%m%d}.{suffix}"


@login_required
@reads_from_replica()
def portfolio_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """A table as CSV (``?table=``), or every table as an XLSX workbook, one sheet each."""
    form = ExportForm(request.GET)
    scope = _scope(request, form)
    tables = tables_of(_structure(scope))
    if fmt == "xlsx":
        heading = _("Portfolio of %(office)s") % {"office": scope.office}
        response = HttpResponse(
            as_xlsx(tables, heading=heading),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{_filename(scope, "xlsx")}"'
        return response
    name = form.cleaned_data.get("table") if form.is_valid() else None
    table = next((t for t in tables if t.name == (name or "industry")), tables[0])
    response = HttpResponse(as_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(scope, table.name + ".csv")}"'
    )
    return response
