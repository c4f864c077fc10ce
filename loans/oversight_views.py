"""Oversight screens: the deviation log and the reference-data changes for compliance, the overview
for branch heads. They only read, and may be a moment behind: with a replica configured they read
from it (config/db_router.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.db_router import bound_to_read_database, reads_from_replica
from loans.filters import DeviationFilter
from loans.keyset import Order
from loans.models import Loan, User
from loans.paging import WebPage, web_page
from loans.reference import describe
from loans.roles import Role
from loans.selectors import (
    DEVIATION_ORDERS,
    describe_requests,
    deviations_visible_to,
    loans_visible_to,
    pending_exception_requests,
    reference_changes_visible_to,
    with_sla_status,
)
from loans.states import LoanState
from workflow import compliance
from workflow.models import Deviation, DeviationReview, PolicyException, Timer
from workflow.registry import process_for
from workflow.verification import latest_complete_run

REFERENCE_CHANGES_ORDER = Order("newest", ("created_at", "id"), descending=True)
READERS = frozenset({Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD})
CSV_COLUMNS = (
    "id",
    "created_at",
    "scope",
    "actor",
    "transition",
    "from_state",
    "kind",
    "severity",
    "failed_checks",
    "channel",
    "policy_version",
    "status",
)


def _deviations_for(user: User) -> QuerySet[Deviation]:
    if not (user.roles & READERS):
        raise PermissionDenied
    return deviations_visible_to(user)


def _loan_references(deviations: list[Deviation]) -> dict[int, str]:
    """Each deviation's loan reference, by deviation (one on a borrower has none)."""
    loan_type = ContentType.objects.get_for_model(Loan).pk
    ids = {d.object_id for d in deviations if d.content_type_id == loan_type}
    references = dict(Loan.objects.filter(pk__in=ids).values_list("pk", "reference"))
    return {
        d.pk: references.get(d.object_id, "") for d in deviations if d.content_type_id == loan_type
    }


@login_required
@reads_from_replica()
def deviation_log(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    filtered = DeviationFilter(request.GET, queryset=_deviations_for(user))
    if not filtered.is_valid():  # the form shows what is wrong, above an empty list
        page = WebPage(rows=[], next_url=None, previous_url=None)
    else:
        order = DEVIATION_ORDERS[filtered.form.cleaned_data.get("sort") or "newest"]
        page = web_page(request, filtered.qs, order)
    references = _loan_references(page.rows)
    export = request.GET.copy()
    export.pop("cursor", None)
    return render(
        request,
        "loans/deviation_log.html",
        {
            "filter": filtered,
            "page": page,
            "rows": [(d, references.get(d.pk, "")) for d in page.rows],
            "query": export.urlencode(),
            "last_verification": latest_complete_run(),
        },
        status=page.status,
    )


@login_required
@reads_from_replica()
def deviation_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed: rows leave as the database finds them, in the log's order
    along its index, so the first arrives at once and memory stays flat whatever the length."""
    user: User = request.user  # type: ignore[assignment]
    filtered = DeviationFilter(request.GET, queryset=_deviations_for(user))
    if not filtered.is_valid():
        raise PermissionDenied(_("The filters are not valid."))
    order = DEVIATION_ORDERS[filtered.form.cleaned_data.get("sort") or "newest"]
    keys = [f"-{key}" if order.descending else key for key in order.keys]
    # Streamed after this view returns: bound now to the database chosen here (the replica).
    rows = bound_to_read_database(filtered.qs.order_by(*keys).values_list(*EXPORT_FIELDS))
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="deviations.csv"'
    return response


# What each CSV column is read from (failed_checks: the checks' codes).
EXPORT_FIELDS = (
    "id",
    "created_at",
    "scope",
    "actor__username",
    "transition",
    "from_state",
    "kind",
    "severity",
    "failed_checks",
    "channel",
    "policy_version",
    "status",
)
EXPORT_BATCH = 1000  # rows per chunk sent, and per fetch from the database's cursor


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet[Any]) -> Iterator[str]:
    """The CSV, a chunk per ``EXPORT_BATCH`` rows. The rows are read through a server-side cursor
    inside a transaction: outside one, PostgreSQL would compute the whole result before the
    first row (a cursor that outlives its transaction is materialised when it is declared)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # a BOM, so spreadsheets read UTF-8
    chunk: list[str] = []
    with transaction.atomic(using=rows.db):
        if connections[rows.db].vendor == "postgresql":
            # The whole log costs enough for PostgreSQL to compile the query first (JIT), which
            # delays the first row by a second or more; rows that stream gain nothing from it.
            with connections[rows.db].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for row in rows.iterator(chunk_size=EXPORT_BATCH):
            values = list(row)
            values[1] = values[1].isoformat()
            values[3] = values[3] or ""
            values[8] = " ".join(item["code"] for item in values[8])
            chunk.append(writer.writerow(values))
            if len(chunk) == EXPORT_BATCH:
                yield "".join(chunk)
                chunk = []
    if chunk:
        yield "".join(chunk)


@login_required
def deviation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    deviation = get_object_or_404(_deviations_for(user), pk=pk)
    if request.method == "POST":
        try:
            compliance.review(
                deviation,
                status=request.POST.get("status", ""),
                actor=user,
                note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded."))
        return redirect("loans:deviation", pk=pk)
    language = translation.get_language() or "en"
    return render(
        request,
        "loans/deviation_detail.html",
        {
            "deviation": deviation,
            "loan": Loan.objects.filter(pk=deviation.object_id).first()
            if deviation.content_type_id == ContentType.objects.get_for_model(Loan).pk
            else None,
            "checks": [
                {**item, "text": item["reason"].get(language, item["reason"].get("en", ""))}
                for item in deviation.failed_checks
            ],
            "reviews": deviation.reviews.select_related("actor"),
            "moves": sorted(compliance.MOVES[compliance.status_of(deviation)]),
            "statuses": dict(DeviationReview.Status.choices),
            "may_review": bool(user.roles & {Role.COMPLIANCE_OFFICER}),
        },
    )


@login_required
@reads_from_replica()
def reference_changes(request: HttpRequest) -> HttpResponse:
    """Who changed which roles, authority, policy or blocked-list entry, from what to what."""
    user: User = request.user  # type: ignore[assignment]
    if not (user.roles & READERS):
        raise PermissionDenied
    page = web_page(request, reference_changes_visible_to(user), REFERENCE_CHANGES_ORDER)
    return render(
        request,
        "loans/reference_changes.html",
        {"page": page, "rows": [describe(event) for event in page.rows]},
        status=page.status,
    )


@login_required
@reads_from_replica()
def branch_overview(request: HttpRequest) -> HttpResponse:
    """What a branch head watches: stages, late work, deviations by week, policy exceptions."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_role(Role.BRANCH_HEAD):
        raise PermissionDenied
    now = timezone.now()
    loans = loans_visible_to(user)
    counts = dict(loans.values_list("state").annotate(n=Count("id")).order_by())
    annotated = with_sla_status(loans, now)
    late = annotated.filter(sla_status="overdue").select_related("borrower")  # type: ignore[misc]
    inspections = Timer.objects.filter(
        kind=Timer.Kind.INSPECTION,
        stopped_at__isnull=True,
        due_at__lt=now,
        object_id__in=loans.values("pk"),
    ).count()
    deviations = _deviations_for(user).filter(created_at__gte=now - timedelta(weeks=8))
    weekly = (
        deviations.annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    exceptions = PolicyException.objects.filter(object_id__in=loans.values("pk")).select_related(
        "granted_by"
    )[:20]
    definition = process_for(Loan).definition
    return render(
        request,
        "loans/branch_overview.html",
        {
            "stages": [(state, counts.get(state.value, 0)) for state in LoanState],
            "late": late[:50],
            "overdue_inspections": inspections,
            "weekly": list(weekly),
            "exceptions": [
                (grant, definition.check_title(grant.check_code)) for grant in exceptions
            ],
            "pending_requests": describe_requests(pending_exception_requests(user)[:50]),
        },
    )
