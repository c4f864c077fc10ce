"""The account-manager scorecard pages: the cards of a period with their charts, the loans and
events behind any figure, exports. Thin: parse, take the reader's scope
(insight/scorecard_scope.py), read (insight/scorecard.py), render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.db_router import reads_from_replica
from insight import scorecard_selectors as behind
from insight.forms import scope_choice
from insight.scorecard import TITLES, Period, Scorecard, period_parse, scorecard
from insight.scorecard_forms import (
    LOAN_FIGURES,
    WATCH_FIGURES,
    BehindForm,
    PeriodForm,
    ScorecardExportForm,
)
from insight.scorecard_measure import month_start
from insight.scorecard_scope import ScorecardScope, may_read_manager, scorecard_scope
from insight.scorecard_tables import manager_name, scorecard_tables
from insight.tables import as_csv, as_xlsx
from loans.choices import RiskClass
from loans.keyset import Order
from loans.models import Loan, User
from loans.models.policy import SCORECARD_FACTORS
from loans.paging import web_page
from watch.models import WatchItem
from watch.rules import signal_title

FIGURE_TITLES = {
    "disbursed": gettext_lazy("Loans disbursed"),
    "returns": gettext_lazy("Loans disbursed after a return"),
    "book": gettext_lazy("The book"),
    "special_mention": gettext_lazy("Special mention in the book"),
    "non_performing": gettext_lazy("Non-performing in the book"),
    "deviations": gettext_lazy("Deviations"),
    "sla_breaches": gettext_lazy("SLA breaches"),
    "inspections": gettext_lazy("Inspections due"),
    "downgrades": gettext_lazy("Downgrades"),
    "watch_open": gettext_lazy("Watch-list items open at the period's end"),
    "watch_overdue": gettext_lazy("Watch-list items overdue at the period's end"),
    "watch_resolved_late": gettext_lazy("Watch-list items resolved late"),
    "watch_late": gettext_lazy("Watch-list items not answered by their due"),
}

# The watch-list items behind a figure, the earliest due first (the watch-list's own order).
DUE_FIRST = Order("insight:due", ("due_at", "id"))


def _read(request: HttpRequest, form: PeriodForm) -> tuple[ScorecardScope, Period]:
    user: User = request.user  # type: ignore[assignment]
    office, tree = scope_choice(form)
    scope = scorecard_scope(user, office_id=office, tree=tree)
    data = form.cleaned_data if form.is_valid() else {}
    period = period_parse(data.get("period"), timezone.localdate())
    if period is None:
        raise Http404
    return scope, period


def query_of(scope: ScorecardScope, period: Period) -> str:
    return f"office={scope.scope.office.pk}&tree={int(scope.scope.tree)}&period={period.key}"


def chart_data(card_set: Scorecard) -> dict[str, Any]:
    """What static/js/scorecard.js draws, passed with json_script (no inline script)."""
    names = [manager_name(card) for card in card_set.cards]
    return {
        "managers": names,
        "contributions": [
            {
                "name": str(TITLES[factor]),
                "values": [float(card.factor(factor).contribution) for card in card_set.cards],
            }
            for factor in SCORECARD_FACTORS
        ],
        "volume": {
            "amount": [float(card.totals.disbursed_amount) for card in card_set.cards],
            "npl": [float(card.totals.non_performing_share * 100) for card in card_set.cards],
            "names": {
                "amount": _("Amount disbursed (CNY)"),
                "npl": _("Non-performing share of the book (%)"),
            },
        },
    }


def periods_around(period: Period, today: Any) -> list[Period]:
    """The choices of the period menu: the last four quarters and twelve months."""
    quarter = period_parse(None, today)
    month = Period(month_start(today), 1)
    assert quarter is not None  # noqa: S101 - the quarter under way always parses
    choices = [quarter.shifted(-n) for n in range(4)] + [month.shifted(-n) for n in range(12)]
    return choices if period in choices else [period, *choices]


@login_required
@reads_from_replica()
def scorecard_page(request: HttpRequest) -> HttpResponse:
    scope, period = _read(request, PeriodForm(request.GET))
    card_set = scorecard(scope, period)
    return render(
        request,
        "insight/scorecard.html",
        {
            "card_set": card_set,
            "scope": scope,
            "period": period,
            "periods": periods_around(period, timezone.localdate()),
            "query": query_of(scope, period),
            "factors": SCORECARD_FACTORS,
            "charts": chart_data(card_set),
        },
    )


def _span(period: Period) -> tuple[datetime, datetime]:
    return period.span()


@login_required
@reads_from_replica()
def scorecard_behind(request: HttpRequest) -> HttpResponse:
    """The loans or the events one figure of a card counts."""
    form = BehindForm(request.GET)
    scope, period = _read(request, form)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The figure asked for is not valid."))
    manager = get_object_or_404(User, pk=form.cleaned_data["manager"])
    if not may_read_manager(scope, manager):
        raise Http404
    figure = form.cleaned_data["figure"]
    start, end = _span(period)
    context: dict[str, Any] = {
        "manager": manager,
        "period": period,
        "figure_title": FIGURE_TITLES[figure],
        "back": query_of(scope, period),
    }
    if figure in WATCH_FIGURES:
        # The page's loans read apart: joined, the planner would read every loan to sort the items.
        items = behind.watch_items_of(manager.pk, figure, start, end).prefetch_related("loan")
        page = web_page(request, items, DUE_FIRST)
        return render(
            request,
            "insight/scorecard_items.html",
            {
                **context,
                "page": page,
                "items": [_item_row(item, end) for item in page.rows],
                "end": end,
                "watch_list_query": _watch_list_query(figure, manager.pk),
            },
            status=page.status,
        )
    if figure in LOAN_FIGURES:
        loans = _loans(figure, manager.pk, start, end).select_related(
            "borrower", "product", "account_manager", "branch"
        )
        page = web_page(request, loans, LATEST_DISBURSED)
        return render(
            request, "insight/scorecard_loans.html", {**context, "page": page}, status=page.status
        )
    return render(
        request,
        "insight/scorecard_events.html",
        {**context, "events": _events(figure, manager.pk, start, end)},
    )


# The loans behind a figure are disbursed loans: the latest disbursed first, along the index on
# (account manager, disbursed_at, id), so a page reads its rows whatever the size of the book.
LATEST_DISBURSED = Order("insight:disbursed", ("disbursed_at", "id"), descending=True)


def _loans(figure: str, manager: int, start: datetime, end: datetime) -> Any:
    if figure == "disbursed":
        return behind.loans_disbursed(manager, start, end)
    if figure == "returns":
        return behind.loans_returned(manager, start, end)
    return behind.loans_in_book(manager, None if figure == "book" else figure)


EVENT_LIMIT = 500


def _events(figure: str, manager: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Each event as (when, the loan, what happened), oldest first; the loans read at once."""
    rows: list[tuple[datetime, int, str]] = []
    if figure in ("deviations", "sla_breaches"):
        select = behind.deviations_of if figure == "deviations" else behind.sla_breaches_of
        for deviation in select(manager, start, end).order_by("created_at")[:EVENT_LIMIT]:
            what = f"{deviation.get_kind_display()} · {deviation.get_severity_display()}"
            rows.append((deviation.created_at, deviation.object_id, what))
    elif figure == "inspections":
        for timer in behind.inspections_of(manager, start, end).order_by("due_at")[:EVENT_LIMIT]:
            on_time = getattr(timer, "on_time", False)
            done = _("done on time") if on_time else _("not done on time")
            rows.append((timer.due_at, timer.object_id, str(done)))
    else:
        for event in behind.downgrades_of(manager, start, end)[:EVENT_LIMIT]:
            rows.append((event.created_at, event.object_id, _downgrade_text(event.payload)))
    loans = Loan.objects.in_bulk([loan for _at, loan, _what in rows])
    return [{"at": at, "loan": loans.get(loan), "what": what} for at, loan, what in rows]


def _item_row(item: WatchItem, end: datetime) -> dict[str, Any]:
    """A watch-list item as it stood at ``end``: resolved by then, and whether late."""
    resolved = item.resolved_at if item.resolved_at and item.resolved_at < end else None
    late = (resolved or end) > item.due_at
    return {"item": item, "title": signal_title(item.signal), "resolved": resolved, "late": late}


def _watch_list_query(figure: str, manager: int) -> str | None:
    """The watch-list's filters showing the manager's open (or overdue) items as they are now."""
    if figure not in ("watch_open", "watch_overdue"):
        return None
    return f"manager={manager}&state=open" + ("&overdue=on" if figure == "watch_overdue" else "")


def _downgrade_text(payload: dict[str, Any]) -> str:
    classified = payload.get("classified") or {}
    if not classified:
        return str(_("Risk class changed"))
    old, new = (RiskClass[classified[end].upper()].label for end in ("from", "to"))
    return f"{old} → {new}"


@login_required
@reads_from_replica()
def scorecard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = ScorecardExportForm(request.GET)
    scope, period = _read(request, form)
    tables = scorecard_tables(scorecard(scope, period))
    stem = f"scorecard-{scope.scope.office.code}-{period.key}"
    if fmt == "xlsx":
        heading = _("Scorecard of %(office)s, %(period)s") % {
            "office": scope.scope.office,
            "period": period.label,
        }
        response = HttpResponse(
            as_xlsx(tables, heading=heading),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    if fmt != "csv":
        raise Http404
    name = form.cleaned_data.get("table") if form.is_valid() else None
    table = next((t for t in tables if t.name == (name or "scores")), tables[0])
    response = HttpResponse(as_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{table.name}.csv"'
    return response
