"""The process analytics page and its exports. Thin: parse the query string, take the reader's
scope (insight/scope.py), read the figures (insight/process.py), render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db_router import reads_from_replica
from insight.forms import scope_choice
from insight.forms_process import ProcessForm, filters_of
from insight.process import ProcessFigures, process_figures
from insight.process_tables import days, process_tables
from insight.scope import Scope, scope_for
from insight.tables import as_csv, as_xlsx
from loans.models import LoanProduct, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(request: HttpRequest) -> tuple[ProcessForm, Scope, ProcessFigures] | None:
    form = ProcessForm(request.GET)
    valid = form.is_valid()
    user: User = request.user  # type: ignore[assignment]
    office, tree = scope_choice(form)
    scope = scope_for(user, office_id=office, tree=tree)
    if not valid:
        return None
    return form, scope, process_figures(scope, filters_of(form))


def chart_data(figures: ProcessFigures) -> dict[str, Any]:
    """What the charts draw (static/js/insight_process.js), passed with json_script."""
    heat = figures.heat
    return {
        "stages": {
            "labels": [s.label for s in figures.stages],
            "median": [float(days(s.median_hours) or 0) for s in figures.stages],
            "p90": [float(days(s.p90_hours) or 0) for s in figures.stages],
            "names": {"median": _("Median (days)"), "p90": _("90th percentile (days)")},
        },
        "holders": [{"name": h.label, "value": float(days(h.hours) or 0)} for h in figures.holders],
        "funnel": [{"name": f.label, "value": f.loans} for f in figures.funnel],
        "returns": {
            "labels": [f"{r.label} · {r.reason_label}" for r in figures.returns],
            "values": [r.returns for r in figures.returns],
        },
        "heatmap": {
            "weeks": [f"{w:%m-%d}" for w in heat.weeks],
            "rows": [f"{r.check_label} · {r.person_label}" for r in heat.rows],
            "cells": [
                [x, y, n] for y, row in enumerate(heat.rows) for x, n in enumerate(row.counts) if n
            ],
            "peak": heat.peak,
        },
        "trend": {
            "weeks": [f"{w:%m-%d}" for w in heat.weeks],
            "series": [{"name": t.label, "data": t.counts} for t in heat.trend],
        },
    }


def _query(form: ProcessForm, scope: Scope) -> str:
    data = form.cleaned_data
    params: dict[str, Any] = {
        "office": scope.office.pk,
        "tree": int(scope.tree),
        "since": data["since"].isoformat(),
        "until": data["until"].isoformat(),
    }
    params.update({key: data[key] for key in ("product", "person") if data.get(key)})
    return urlencode(params)


@login_required
@reads_from_replica()
def process(request: HttpRequest) -> HttpResponse:
    read = _read(request)
    if read is None:
        return HttpResponseBadRequest(_("The filters asked for are not valid."))
    form, scope, figures = read
    return render(
        request,
        "insight/process.html",
        {
            "form": form,
            "scope": scope,
            "figures": figures,
            "tables": {t.name: t for t in process_tables(figures)},
            "query": _query(form, scope),
            "charts": chart_data(figures),
            "products": LoanProduct.objects.order_by("code"),
            "people": User.objects.filter(branch_id__in=scope.branch_ids, is_active=True).order_by(
                "username"
            ),
        },
    )


@login_required
@reads_from_replica()
def process_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """A table as CSV (``?table=``), or every table as an XLSX workbook, one sheet each."""
    read = _read(request)
    if read is None:
        return HttpResponseBadRequest(_("The filters asked for are not valid."))
    form, scope, figures = read
    tables = process_tables(figures)
    stem = f"process-{scope.office.code}-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        heading = _("Process of %(office)s, %(since)s to %(until)s") % {
            "office": scope.office,
            "since": figures.filters.since,
            "until": figures.filters.until,
        }
        response = HttpResponse(as_xlsx(tables, heading=heading), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    name = form.cleaned_data.get("table") or "stages"
    table = next(t for t in tables if t.name == name)
    response = HttpResponse(as_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{name}.csv"'
    return response
