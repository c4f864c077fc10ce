"""The search box's page: straight to the loan a query names exactly, else the loans it finds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from loans.models import User
from loans.paging import web_page
from loans.search import SEARCH_ORDER, Search, exact_match, search_loans


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    query = Search.of(request.GET.get("q", ""))
    if not request.GET.get("cursor"):
        loan = exact_match(user, query)
        if loan is not None:
            return redirect("loans:detail", loan.pk)
    page = web_page(request, search_loans(user, query), SEARCH_ORDER)
    return render(
        request,
        "loans/search.html",
        {"loans": page.rows, "page": page, "search_query": query.text},
        status=page.status,
    )
