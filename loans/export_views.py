"""The loan list as CSV. Personal facts are masked for everyone: an export leaves the system, and
a full value is shown only one at a time, through the audited reveal (loans/reveal.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse

from loans.models import Loan
from loans.personal_data import PersonalField, mask
from loans.selectors import loans_visible_to
from loans.states import LoanState

COLUMNS = (
    "reference",
    "state",
    "branch",
    "borrower",
    "borrower_id_number",
    "borrower_phone",
    "product",
    "amount",
    "term_months",
    "account_manager",
    "created_at",
)


@login_required
def loan_export(request: HttpRequest) -> StreamingHttpResponse:
    """The loans the person may see (of one stage with ``?state=``), streamed row by row."""
    loans = loans_visible_to(request.user)  # type: ignore[arg-type]
    state = request.GET.get("state", "")
    if state in LoanState.values:
        loans = loans.filter(state=state)
    rows = (
        loans.select_related("borrower", "branch", "product", "account_manager")
        .order_by("reference")
        .iterator(chunk_size=500)
    )
    response = StreamingHttpResponse(_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loans.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(loans: Iterable[Loan]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # a BOM, so spreadsheets read UTF-8
    for loan in loans:
        yield writer.writerow(_row(loan))


def _row(loan: Loan) -> list[Any]:
    borrower = loan.borrower
    return [
        loan.reference,
        loan.state,
        loan.branch.code,
        borrower.name,
        mask(borrower.id_number, PersonalField.ID_NUMBER),
        mask(borrower.phone, PersonalField.PHONE),
        loan.product.code if loan.product else "",
        loan.amount if loan.amount is not None else "",
        loan.term_months or "",
        loan.account_manager.username,
        loan.created_at.isoformat(),
    ]
