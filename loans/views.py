"""Plain pages: the loans a user may see, and one loan with its preflight and audit trail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from loans.access import get_loan_for_user
from loans.selectors import audit_trail_of, deviations_of, loans_visible_to
from loans.workflow import LoanState
from workflow.engine import preflight


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    loans = loans_visible_to(request.user)  # type: ignore[arg-type]
    state = request.GET.get("state", "")
    counts = dict(loans.values_list("state").annotate(n=Count("id")).order_by())
    if state in LoanState.values:
        loans = loans.filter(state=state)
    stages = [(choice, counts.get(choice.value, 0)) for choice in LoanState]
    rows = loans.select_related("borrower", "account_manager", "product")[:200]
    return render(
        request,
        "loans/loan_list.html",
        {"loans": rows, "stages": stages, "state": state, "total": sum(counts.values())},
    )


@login_required
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_loan_for_user(request.user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "loans/loan_detail.html",
        {
            "loan": loan,
            "options": preflight(loan, actor=request.user),
            "events": audit_trail_of(loan),
            "deviations": deviations_of(loan).select_related("actor")[:50],
        },
    )
