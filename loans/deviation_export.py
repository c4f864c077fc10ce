"""The deviation log as a head office reads it: CSV (UTF-8 with a BOM) and XLSX, in the reader's
language and the bank's local time, one row per deviation with the loan, the borrower (masked, as
every export: loans/personal_data.py), the staff member's name, the step and checks by name, the
reasons, and every review with its note.

Both read the log through a server-side cursor in the log's order along its index, ``EXPORT_BATCH``
rows at a time; each batch's loans and reviews are read in one statement each. The CSV leaves as
it is read (the first rows at once, memory flat whatever the length); the XLSX is written by
openpyxl's write-only workbook to a temporary file (rows never held in memory) and sent when done.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import IO, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from loans.models import Loan
from loans.personal_data import PersonalField, mask
from workflow.models import DeviationReview
from workflow.vocabulary import Vocabulary

EXPORT_BATCH = 1000  # rows per chunk sent, and per fetch from the database's cursor
FIRST_BATCH = 100  # the first chunk's rows: the reader sees rows before a whole batch is read

# What each row is read from, in the order of ``_cells``.
FIELDS = (
    "id",
    "created_at",
    "scope",
    "content_type_id",
    "object_id",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
    "transition",
    "from_state",
    "kind",
    "severity",
    "failed_checks",
    "channel",
    "policy_version",
    "status",
)


def headers() -> list[str]:
    """The columns' titles in the active language."""
    return [
        _("Deviation no."),
        _("When (%(zone)s)") % {"zone": settings.TIME_ZONE},
        _("Branch"),
        _("Loan reference"),
        _("Borrower"),
        _("Borrower's identity number"),
        _("Staff"),
        _("Staff user name"),
        _("Attempted step"),
        _("From stage"),
        _("Kind"),
        _("Severity"),
        _("Failed checks"),
        _("Reasons"),
        _("Channel"),
        _("Policy version"),
        _("Status"),
        _("Review notes"),
    ]


@dataclass(frozen=True)
class Export:
    """What one export reads: the filtered log in its order, named in ``language``."""

    rows: QuerySet[Any]  # values_list(*FIELDS), ordered, bound to its database
    vocabulary: Vocabulary
    language: str

    @cached_property
    def _names(self) -> _Names:
        return _Names(self.vocabulary)

    def lines(self) -> Generator[list[Any], None, None]:
        """Each deviation's cells (the moment as a local datetime without its zone), in
        batches read inside one transaction: outside one, PostgreSQL would compute the whole
        result before the first row (a cursor that outlives its transaction is materialised
        when it is declared)."""
        database = self.rows.db
        loan_type = ContentType.objects.db_manager(database).get_for_model(Loan).pk
        with translation.override(self.language), transaction.atomic(using=database):
            if connections[database].vendor == "postgresql":
                # The whole log costs enough for PostgreSQL to compile the query first (JIT),
                # which delays the first row by a second or more; rows that stream gain nothing.
                with connections[database].cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            batch: list[tuple[Any, ...]] = []
            size = min(FIRST_BATCH, EXPORT_BATCH)  # the first rows go at once, then batches
            for row in self.rows.iterator(chunk_size=EXPORT_BATCH):
                batch.append(row)
                if len(batch) == size:
                    yield from self._cells(batch, database, loan_type)
                    batch, size = [], EXPORT_BATCH
            if batch:
                yield from self._cells(batch, database, loan_type)

    def _cells(
        self, batch: list[tuple[Any, ...]], database: str, loan_type: int
    ) -> Iterator[list[Any]]:
        names = self._names
        loan_ids = {row[4] for row in batch if row[3] == loan_type}
        loans = {
            pk: (reference, borrower, mask(id_number, PersonalField.ID_NUMBER))
            for pk, reference, borrower, id_number in Loan.objects.using(database)
            .filter(pk__in=_one_of(loan_ids, database))
            .values_list("pk", "reference", "borrower__name", "borrower__id_number")
        }
        # Only a reviewed deviation has left "open" (no review moves one back): the others need
        # no read of reviews.
        reviewed = [row[0] for row in batch if row[-1] != DeviationReview.Status.OPEN]
        reviews = _reviews_of(reviewed, database, names) if reviewed else {}
        for (
            pk,
            created_at,
            scope,
            content_type_id,
            object_id,
            username,
            first_name,
            last_name,
            step,
            from_state,
            kind,
            severity,
            failed_checks,
            channel,
            policy_version,
            status,
        ) in batch:
            loan = loans.get(object_id, ("", "", "")) if content_type_id == loan_type else None
            yield [
                pk,
                local_moment(created_at),
                scope,
                *(loan or ("", "", "")),
                staff_name(username, first_name, last_name),
                username or "",
                names.step(step),
                names.state(from_state),
                names.kind(kind),
                names.severity(severity),
                "; ".join(names.check(item["code"]) for item in failed_checks),
                "\n".join(_reason(item, self.language) for item in failed_checks),
                names.channel(channel),
                policy_version,
                names.status(status),
                "\n".join(reviews.get(pk, ())),
            ]


class _Names:
    """The vocabulary's names, each translated once per export (a million rows repeat a few
    dozen names: translating each cell again would cost more than reading the row)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self._known: dict[tuple[str, str], str] = {}

    def _name(self, what: str, code: str) -> str:
        key = (what, code)
        if key not in self._known:
            self._known[key] = getattr(self._vocabulary, what)(code)
        return self._known[key]

    def step(self, code: str) -> str:
        return self._name("step", code)

    def state(self, code: str) -> str:
        return self._name("state", code)

    def kind(self, code: str) -> str:
        return self._name("kind", code)

    def severity(self, code: str) -> str:
        return self._name("severity", code)

    def check(self, code: str) -> str:
        return self._name("check", code)

    def channel(self, code: str) -> str:
        return self._name("channel", code)

    def status(self, code: str) -> str:
        return self._name("status", code)


def staff_name(username: str | None, first_name: str | None, last_name: str | None) -> str:
    """A member of staff as the app names them (``User.get_full_name``, else the user name)."""
    return f"{first_name or ''} {last_name or ''}".strip() or (username or "")


def _one_of(ids: Iterable[int], database: str) -> Any:
    """``ids`` as the right side of an ``__in``: on PostgreSQL one array parameter, not a
    thousand placeholders to compile and send each batch."""
    values = sorted(set(ids))
    if connections[database].vendor != "postgresql":
        return values
    return RawSQL("SELECT unnest(%s::bigint[])", (values,))


def _reason(item: dict[str, Any], language: str) -> str:
    reasons = item.get("reason") or {}
    return str(reasons.get(language) or reasons.get("en") or "")


def _reviews_of(ids: list[int], database: str, names: _Names) -> dict[int, list[str]]:
    """Each deviation's reviews in words, oldest first: when, who, the status, the note."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        DeviationReview.objects.using(database)
        .filter(deviation_id__in=_one_of(ids, database))
        .order_by("deviation_id", "seq")
        .values_list(
            "deviation_id",
            "created_at",
            "actor__username",
            "actor__first_name",
            "actor__last_name",
            "status",
            "note",
        )
    )
    for deviation_id, created_at, username, first, last, status, note in rows:
        who = staff_name(username, first, last)
        when = f"{local_moment(created_at):%Y-%m-%d %H:%M}"
        found[deviation_id].append(f"{when} {who} → {names.status(status)}: {note}")
    return found


def local_moment(moment: datetime) -> datetime:
    """``moment`` in the bank's time zone, to the second, without the zone (as spreadsheets
    take a date and time)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).replace(
        microsecond=0, tzinfo=None
    )


# --- CSV ----------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(export: Export) -> Iterator[str]:
    """The CSV, a chunk per ``EXPORT_BATCH`` rows, starting with a BOM so spreadsheets read
    UTF-8; moments as ``YYYY-MM-DD HH:MM:SS`` local time."""
    writer = csv.writer(_Echo())
    with translation.override(export.language):
        yield "\ufeff" + writer.writerow(headers())
    chunk: list[str] = []
    size = min(FIRST_BATCH, EXPORT_BATCH)
    for cells in export.lines():
        cells[1] = f"{cells[1]:%Y-%m-%d %H:%M:%S}"
        chunk.append(writer.writerow(cells))
        if len(chunk) == size:
            yield "".join(chunk)
            chunk, size = [], EXPORT_BATCH
    if chunk:
        yield "".join(chunk)


# --- XLSX ---------------------------------------------------------------------------------------

COLUMN_WIDTHS = (10, 20, 8, 18, 16, 22, 16, 14, 28, 14, 30, 10, 40, 60, 10, 14, 14, 60)


def xlsx_file(export: Export) -> IO[bytes]:
    """The workbook in a temporary file (gone once closed), positioned at its start."""
    workbook = Workbook(write_only=True)
    with translation.override(export.language):
        sheet = workbook.create_sheet(_("Deviations"))
        for index, width in enumerate(COLUMN_WIDTHS):
            sheet.column_dimensions[_column(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append(headers())
        with closing(export.lines()) as lines:
            _append_all(sheet, lines)
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    workbook.save(target)
    target.seek(0)
    return target


# A worksheet holds 1,048,576 rows: the header and this many deviations, then a last row that
# says the rest are only in the CSV.
XLSX_ROWS = 1_048_574


def _append_all(sheet: Any, lines: Iterable[list[Any]]) -> None:
    for written, cells in enumerate(lines):
        if written == XLSX_ROWS:
            sheet.append([_("More deviations than a worksheet holds: the CSV has them all.")])
            return
        cell = WriteOnlyCell(sheet, value=cells[1])
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        cells[1] = cell
        sheet.append(cells)


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))
