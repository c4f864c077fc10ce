"""The portfolio dashboard, its drill-down and exports: who reads them, what they show, and a
query count that does not grow with the portfolio."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from insight.snapshots import snapshot_take
from loans.choices import Industry, RiskClass
from loans.roles import Role
from tests import factories
from tests.integration.insight.data import held

pytestmark = pytest.mark.django_db
PAGE = "/insight/portfolio/"
LOANS = "/insight/portfolio/loans/"


@pytest.fixture
def taken(portfolio):
    snapshot_take()


def test_the_branch_head_sees_balances_shares_limits_and_ratios(client, head, taken):
    client.force_login(head)
    response = client.get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "¥1,000,000.00" in page
    assert "35.0%" in page  # non-performing
    assert "25.0%" in page  # special mention
    assert 'data-status="over"' in page  # guarantee type 60 % against 50 %
    assert 'id="insight-charts"' in page  # the charts' data, as JSON, for the static script
    assert "<script>" not in page  # no inline script (CSP)


def test_compliance_reads_the_dashboard_which_offers_no_change(client, compliance, taken):
    client.force_login(compliance)
    response = client.get(PAGE)

    assert response.status_code == 200
    assert 'method="post"' not in response.content.decode().split("<main", 1)[1]


@pytest.mark.parametrize("path", [PAGE, LOANS, "/insight/portfolio/export.csv"])
def test_an_account_manager_is_refused(client, manager, taken, path):
    client.force_login(manager)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [PAGE, LOANS, "/insight/portfolio/export.xlsx"])
def test_another_branch_is_never_shown(client, branch, other_branch, taken, path):
    stranger = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")
    client.force_login(stranger)

    assert client.get(path, {"office": branch.pk}).status_code == 404
    own = client.get(path)
    assert own.status_code == 200
    assert b"1,000,000" not in own.content
    assert b"1000000" not in own.content


def test_a_figure_drills_down_to_the_loans_behind_it(client, head, taken):
    client.force_login(head)

    industry = client.get(LOANS, {"dimension": "industry", "key": Industry.F})
    npl = client.get(LOANS, {"dimension": "quality", "key": "npl"})
    substandard = client.get(LOANS, {"dimension": "risk_class", "key": RiskClass.SUBSTANDARD})

    assert industry.content.decode().count("LF-TEST-") == 2
    assert npl.content.decode().count("LF-TEST-") == 2
    assert substandard.content.decode().count("LF-TEST-") == 1
    assert client.get(LOANS, {"dimension": "term", "key": "nonsense"}).status_code == 400


def test_every_table_exports_as_csv_and_all_as_one_workbook(client, head, taken):
    client.force_login(head)

    industry = client.get("/insight/portfolio/export.csv", {"table": "industry"})
    rows = list(csv.reader(io.StringIO(industry.content.decode())))
    workbook = load_workbook(io.BytesIO(client.get("/insight/portfolio/export.xlsx").content))

    assert rows[1][1:3] == ["650000.00", "2"]
    assert len(workbook.sheetnames) == 11  # 9 breakdowns, the limits and the trend
    sheet = workbook.worksheets[0]
    assert sheet.cell(row=3, column=2).value == 650000
    assert sheet.cell(row=3, column=2).number_format == '"¥"#,##0.00'


def _queries(client, path):
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context)


def test_the_dashboard_reads_a_constant_number_of_queries(client, head, manager, product, taken):
    """Whatever the loans, managers and offices' loans: the same statements (the office tree's
    depth, read a level at a time, is the same in both)."""
    sub = factories.BranchFactory(code="B01-9", name="New office", parent=head.branch)
    client.force_login(head)
    small = [_queries(client, path) for path in (PAGE, LOANS, "/insight/portfolio/export.xlsx")]
    for n in range(40):
        held(manager, product, industry=Industry.H, outstanding_balance=Decimal(1_000 + n))
        held(factories.staff(Role.ACCOUNT_MANAGER, branch=sub, username=f"m{n}"), product)
    snapshot_take()

    large = [_queries(client, path) for path in (PAGE, LOANS, "/insight/portfolio/export.xlsx")]

    assert large == small
