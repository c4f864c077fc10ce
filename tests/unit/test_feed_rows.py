"""Reading a core-banking file: the header and each row on its own (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from loans.feed.rows import read


def codes(content: str) -> list[tuple[int, str, str]]:
    _lines, rejections = read(content.encode())
    return [(r.row, r.column, r.code) for r in rejections]


def test_a_spreadsheet_s_file_with_a_byte_order_mark_and_blank_lines_reads():
    content = (
        "\ufeffReference,Date,Repayment,Days_Past_Due\r\n"
        'LF-1,2026-01-05,"1,000.50",\r\n'
        "\r\n"
        "LF-1,2026-01-05,,3\r\n"
    )

    lines, rejections = read(content.encode())

    assert rejections == []
    assert [(line.row, line.repayment, line.days_past_due) for line in lines] == [
        (2, Decimal("1000.50"), None),
        (4, None, 3),
    ]
    assert lines[0].day == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12.345", "not_an_amount"),
        ("1e30", "not_an_amount"),
        ("NaN", "not_an_amount"),
        ("Infinity", "not_an_amount"),
        ("abc", "not_an_amount"),
        ("-0.01", "negative"),
        ("0", "zero_repayment"),
    ],
)
def test_an_amount_that_is_not_a_repayment_is_refused(value, code):
    assert codes(f"reference,date,repayment\nLF-1,2026-01-05,{value}\n") == [(2, "repayment", code)]


@pytest.mark.parametrize("value", ["2026-02-30", "05/01/2026", "2026-1-5", "20260105"])
def test_a_date_not_written_as_iso_is_refused(value):
    assert codes(f"reference,date,days_past_due\nLF-1,{value},1\n") == [(2, "date", "not_a_date")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", (1, "", "no_header")),
        ("reference,repayment", (1, "date", "missing_column")),
        ("reference,date", (1, "", "no_value_column")),
    ],
)
def test_a_header_without_its_columns_refuses_the_file(header, expected):
    assert codes(f"{header}\nLF-1,2026-01-05\n") == [expected]


def test_a_file_that_is_not_utf8_is_refused():
    _lines, rejections = read("reference,date,repayment\n贷款,2026-01-05,1\n".encode("gb18030"))

    assert [(r.row, r.code) for r in rejections] == [(1, "not_text")]


def test_a_repeated_row_names_the_first():
    content = "reference,date,repayment\nLF-1,2026-01-05,10\nLF-1,2026-01-05,10.00\n"

    assert codes(content) == [(3, "", "duplicate_row")]
