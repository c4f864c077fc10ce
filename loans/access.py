"""The one way views fetch a loan for a user: branch scoping in one place."""

from __future__ import annotations

from django.http import Http404

from loans.models import Loan, User
from loans.selectors import loans_visible_to


def get_loan_for_user(user: User, pk: int) -> Loan:
    """The loan ``pk`` if ``user`` may see it; 404 otherwise (existence is not disclosed)."""
    try:
        return loans_visible_to(user).select_related("borrower", "branch", "product").get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404("No such loan.") from None
