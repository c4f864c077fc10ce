"""Reading a core-banking file: its header, and each row on its own (the checks that need no
database). Every refusal names the row (the file's line, the header being row 1), the column and
the reason, in every language the application speaks."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from loans.classification import MOST_DAYS_PAST_DUE

REFERENCE, DATE, REPAYMENT, DAYS_PAST_DUE, TRANSACTION = (
    "reference",
    "date",
    "repayment",
    "days_past_due",
    "transaction",
)
REQUIRED = (REFERENCE, DATE)
VALUES = (REPAYMENT, DAYS_PAST_DUE)  # a row gives one of them or both
COLUMNS = (*REQUIRED, *VALUES, TRANSACTION)
# The largest repayment a row can state (the loan amount's field: 14 digits, 2 after the point).
LARGEST = Decimal("999999999999.99")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Why a row is refused, by code.
REASONS = {
    "not_text": _("The file is not UTF-8 text (save it from the spreadsheet as CSV UTF-8)."),
    "no_header": _("The first row names the columns: %(columns)s."),
    "missing_column": _("The header has no column %(column)s."),
    "no_value_column": _("The header has neither a repayment nor a days_past_due column."),
    "field_count": _("The row has %(found)s fields where the header has %(expected)s."),
    "blank": _("The value is missing."),
    "not_a_date": _("%(value)s is not a date written as YYYY-MM-DD."),
    "not_an_amount": _("%(value)s is not an amount in yuan with at most two decimals."),
    "not_a_number": _("%(value)s is not a whole number of days."),
    "no_value": _("The row gives neither a repayment nor days past due."),
    "negative": _("%(value)s is below zero."),
    "zero_repayment": _("A repayment is more than zero."),
    "future_date": _("%(value)s is in the future."),
    "duplicate_row": _("The row repeats row %(first)s."),
    "unknown_reference": _("No loan has the reference %(value)s."),
    "other_branch": _("Loan %(value)s belongs to another branch."),
    "not_in_post_loan": _("Loan %(value)s is not in post-loan management (it is %(state)s)."),
    "before_disbursement": _("%(value)s is before the loan's disbursement (%(disbursed)s)."),
    "above_balance": _("The repayments of loan %(value)s exceed its outstanding CNY %(balance)s."),
    "conflicting_days_past_due": _(
        "Row %(first)s gives loan %(value)s other days past due for the same date."
    ),
    "refused": _("The loan's file refused the step: %(reasons)s"),
}


@dataclass(frozen=True)
class Rejection:
    row: int
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def reason(self) -> str:
        """The reason in the active language."""
        return str(REASONS[self.code]) % self.params if self.params else str(REASONS[self.code])

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready record, with the reason in every configured language."""
        reasons = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                reasons[language] = self.reason()
        return {"row": self.row, "column": self.column, "code": self.code, "reason": reasons}


@dataclass(frozen=True)
class Line:
    """A row that reads well on its own."""

    row: int
    reference: str
    day: date
    repayment: Decimal | None
    days_past_due: int | None
    key: str  # what makes the row the same row in another file


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read(content: bytes) -> tuple[list[Line], list[Rejection]]:
    """The rows of the file that read well, and the refusals of the others (or of the file)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Rejection(1, "", "not_text")]
    records = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(records, [])]
    problem = _header_problem(header)
    if problem is not None:
        return [], [problem]
    lines: list[Line] = []
    rejections: list[Rejection] = []
    seen: dict[str, int] = {}
    for number, values in _numbered(records):
        found = _line(number, header, values)
        if isinstance(found, Rejection):
            rejections.append(found)
        elif found.key in seen:
            rejections.append(Rejection(number, "", "duplicate_row", {"first": seen[found.key]}))
        else:
            seen[found.key] = number
            lines.append(found)
    return lines, rejections


def _numbered(records: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(records, start=2):
        if any(value.strip() for value in values):  # a blank line is no row
            yield number, values


def _header_problem(header: list[str]) -> Rejection | None:
    if not header or not any(header):
        return Rejection(1, "", "no_header", {"columns": ", ".join(COLUMNS)})
    for column in REQUIRED:
        if column not in header:
            return Rejection(1, column, "missing_column", {"column": column})
    if not any(column in header for column in VALUES):
        return Rejection(1, "", "no_value_column")
    return None


def _line(number: int, header: list[str], values: list[str]) -> Line | Rejection:
    if len(values) != len(header):
        return Rejection(number, "", "field_count", {"found": len(values), "expected": len(header)})
    cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
    reference = cells[REFERENCE]
    if not reference:
        return Rejection(number, REFERENCE, "blank")
    day = _day(number, cells[DATE])
    if isinstance(day, Rejection):
        return day
    repayment = _amount(number, cells.get(REPAYMENT, ""))
    if isinstance(repayment, Rejection):
        return repayment
    days = _days(number, cells.get(DAYS_PAST_DUE, ""))
    if isinstance(days, Rejection):
        return days
    if repayment is None and days is None:
        return Rejection(number, "", "no_value")
    transaction = cells.get(TRANSACTION, "")
    identity = (
        f"{reference}|t|{transaction}"
        if transaction
        else f"{reference}|{day.isoformat()}|{repayment or ''}|{'' if days is None else days}"
    )
    key = hashlib.sha256(identity.encode()).hexdigest()
    return Line(number, reference, day, repayment, days, key)


def _day(number: int, value: str) -> date | Rejection:
    if not value:
        return Rejection(number, DATE, "blank")
    if DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return Rejection(number, DATE, "not_a_date", {"value": value})


def _amount(number: int, value: str) -> Decimal | Rejection | None:
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return Rejection(number, REPAYMENT, "not_an_amount", {"value": value})
    if not amount.is_finite() or abs(amount) > LARGEST or amount != round(amount, 2):
        return Rejection(number, REPAYMENT, "not_an_amount", {"value": value})
    if amount < 0:
        return Rejection(number, REPAYMENT, "negative", {"value": value})
    if amount == 0:
        return Rejection(number, REPAYMENT, "zero_repayment")
    return round(amount, 2)


def _days(number: int, value: str) -> int | Rejection | None:
    if not value:
        return None
    try:
        days = int(value)
    except ValueError:
        return Rejection(number, DAYS_PAST_DUE, "not_a_number", {"value": value})
    if days < 0:
        return Rejection(number, DAYS_PAST_DUE, "negative", {"value": value})
    if days > MOST_DAYS_PAST_DUE:
        return Rejection(number, DAYS_PAST_DUE, "not_a_number", {"value": value})
    return days
