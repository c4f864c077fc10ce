"""Every table of the portfolio structure as plain rows: what the CSV and XLSX exports write and
what the page shows beside each chart."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from insight.structure import Breakdown, Structure

MONEY_FORMAT = '"¥"#,##0.00'
SHARE_FORMAT = "0.0%"


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    formats: list[str | None]  # the XLSX number format of each column


def _breakdown_table(breakdown: Breakdown) -> Table:
    return Table(
        name=breakdown.dimension,
        title=str(breakdown.title),
        headers=[
            str(breakdown.title),
            _("Outstanding balance (CNY)"),
            _("Loans"),
            _("Share"),
            _("Status"),
        ],
        rows=[
            [row.label, row.balance, row.count, row.share, str(row.status_label)]
            for row in breakdown.rows
        ],
        formats=[None, MONEY_FORMAT, None, SHARE_FORMAT, None],
    )


def tables_of(structure: Structure) -> list[Table]:
    tables = [_breakdown_table(b) for b in structure.breakdowns]
    tables.append(
        Table(
            name="limits",
            title=_("Concentration limits"),
            headers=[_("Limit"), _("Largest"), _("Measured share"), _("Policy limit"), _("Status")],
            rows=[
                [
                    str(limit.title),
                    limit.largest.label if limit.largest else "",
                    limit.share,
                    limit.limit,
                    str(limit.status_label),
                ]
                for limit in structure.limits
            ],
            formats=[None, None, SHARE_FORMAT, SHARE_FORMAT, None],
        )
    )
    tables.append(
        Table(
            name="trend",
            title=_("Twelve months"),
            headers=[
                _("Day"),
                _("Outstanding balance (CNY)"),
                _("Loans"),
                _("Non-performing ratio"),
                _("Special-mention ratio"),
            ],
            rows=[
                [p.day, p.balance, p.count, p.npl_ratio, p.special_mention_ratio]
                for p in structure.trend
            ],
            formats=["yyyy-mm-dd", MONEY_FORMAT, None, SHARE_FORMAT, SHARE_FORMAT],
        )
    )
    return tables


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value}"
    return value


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    writer.writerows([_plain(value) for value in row] for row in table.rows)
    return out.getvalue()


def as_xlsx(tables: list[Table], *, heading: str) -> bytes:
    """One sheet per table, its first row the headers; money and shares as numbers, formatted."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31].replace("/", " "))
        sheet.append([heading])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
            for cell, number_format in zip(sheet[sheet.max_row], table.formats, strict=True):
                if number_format:
                    cell.number_format = number_format
        for column, header in zip(
            sheet.iter_cols(min_row=2, max_row=2), table.headers, strict=False
        ):
            sheet.column_dimensions[column[0].column_letter].width = max(14, len(header) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
