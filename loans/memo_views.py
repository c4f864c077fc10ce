"""The printable approval memo and loan summary of a loan the user may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from loans.access import get_loan_for_user
from loans.memo import memo_of


def _printable(request: HttpRequest, pk: int, *, summary: bool) -> HttpResponse:
    loan = get_loan_for_user(request.user, pk)  # type: ignore[arg-type]
    context = {**memo_of(loan), "summary": summary, "printed_at": timezone.now()}
    return render(request, "loans/memo.html", context)


@login_required
def approval_memo(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval memo (审批表): the file, the assessment, the opinions and signatures."""
    return _printable(request, pk, summary=False)


@login_required
def loan_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """The loan summary: the memo's content and the contract, drawdowns and balance."""
    return _printable(request, pk, summary=True)
