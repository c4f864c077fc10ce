"""Oversight screens: the reference-data changes for compliance, the overview for branch heads (the
deviation log: loans/deviation_views.py). They only read, and may be a moment behind: with a
replica configured they read from it (config/db_router.py)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.db_router import reads_from_replica
from loans.deviation_views import READERS, deviations_for
from loans.keyset import Order
from loans.models import Loan, User
from loans.paging import web_page
from loans.reference import describe
from loans.roles import Role
from loans.selectors import (
    describe_requests,
    loans_visible_to,
    pending_exception_requests,
    reference_changes_visible_to,
    with_sla_status,
)
from loans.states import LoanState
from workflow.models import PolicyException, Timer
from workflow.registry import process_for

REFERENCE_CHANGES_ORDER = Order("newest", ("created_at", "id"), descending=True)


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
    deviations = deviations_for(user).filter(created_at__gte=now - timedelta(weeks=8))
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
