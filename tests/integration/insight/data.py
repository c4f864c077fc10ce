"""Building a portfolio with known figures: loans put straight into a state (test data only)."""

from __future__ import annotations

from loans.models import Loan
from loans.states import LoanState
from tests import factories


def held(manager, product, *, state=LoanState.POST_LOAN, group="", **fields):
    """A loan put straight into ``state`` with its figures: the known answer's data."""
    borrower = factories.BorrowerFactory(branch=manager.branch, group=group)
    loan = factories.LoanFactory(account_manager=manager, product=product, borrower=borrower)
    Loan.objects.filter(pk=loan.pk).update(state=state, **fields)
    return loan
