"""The process analytics page, its exports and its API: who reads them, what they show, and a
number of statements that does not grow with the loans, stage visits or deviations."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from insight.forms_process import PROCESS_TABLES
from insight.process_aggregate import process_aggregate
from insight.process_models import StageNow
from loans.roles import Role
from loans.states import LoanState as S
from tests import factories
from tests.api.test_api import api
from tests.integration.insight.process_data import deviation, in_state, running_timer, visit
from tests.integration.insight.process_data import visits as save_visits

pytestmark = pytest.mark.django_db
PAGE = "/insight/process/"
API = "/api/v1/insight/process/"


def test_the_branch_head_sees_stage_times_the_stalled_loan_the_funnel_and_the_heat_map(
    client, head, known
):
    client.force_login(head)
    response = client.get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert known["stalled"].reference in page
    assert "1 loan stalled past its SLA" in page
    assert 'data-chart="heatmap"' in page
    assert 'id="process-charts"' in page
    assert "<script>" not in page  # no inline script (CSP)
    stages = page.split('data-testid="table-stages"', 1)[1].split("</table>", 1)[0]
    assert '<td class="text-end">1.3</td><td class="text-end">4.3</td>' in stages  # 30 h, 102 h


def test_the_page_says_when_the_loans_waiting_and_stalled_were_counted(client, head, known):
    counted_at = StageNow.objects.values_list("counted_at", flat=True).first()
    client.force_login(head)
    page = client.get(PAGE).content.decode()

    at = timezone.localtime(counted_at).strftime("%Y-%m-%d %H:%M")
    assert f"Loans waiting and stalled as of {at}, the last hourly count." in page
    holders = page.split('data-testid="table-holders"', 1)[1].split("</table>", 1)[0]
    assert "Waiting at the last count" in holders


def test_before_the_first_hourly_count_the_page_says_so(client, head, known):
    StageNow.objects.all().delete()
    client.force_login(head)
    page = client.get(PAGE).content.decode()

    assert "have not been counted yet" in page
    assert "0 loans stalled past their SLA" in page
    assert known["stalled"].reference in page  # the list is read as it is now


def test_compliance_reads_the_page_which_offers_no_change(client, compliance, known):
    client.force_login(compliance)
    response = client.get(PAGE)

    assert response.status_code == 200
    assert 'method="post"' not in response.content.decode().split("<main", 1)[1]


@pytest.mark.parametrize("path", [PAGE, "/insight/process/export.csv", API])
def test_an_account_manager_is_refused(client, manager, known, path):
    client.force_login(manager)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [PAGE, "/insight/process/export.xlsx", API])
def test_another_branch_is_never_shown(client, branch, other_branch, known, path):
    stranger = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")
    client.force_login(stranger)

    assert client.get(path, {"office": branch.pk}).status_code == 404
    own = client.get(path)
    assert own.status_code == 200
    assert known["stalled"].reference.encode() not in own.content


def test_a_period_that_ends_before_it_starts_is_refused(client, head, known):
    client.force_login(head)
    assert client.get(PAGE, {"since": "2026-05-01", "until": "2026-04-01"}).status_code == 400


def test_every_table_exports_as_csv_and_all_as_one_workbook(client, head, known):
    client.force_login(head)

    funnel = client.get("/insight/process/export.csv", {"table": "funnel"})
    rows = list(csv.reader(io.StringIO(funnel.content.decode())))
    workbook = load_workbook(io.BytesIO(client.get("/insight/process/export.xlsx").content))

    assert rows[1][:2] == ["Application opened", "5"]
    assert rows[-1][:2] == ["Disbursed", "1"]
    for name in PROCESS_TABLES:
        assert client.get("/insight/process/export.csv", {"table": name}).status_code == 200
    assert len(workbook.sheetnames) == len(PROCESS_TABLES)
    stages = workbook.worksheets[0]
    assert stages.cell(row=5, column=4).value == pytest.approx(1.3)  # review's median, in days


def test_the_api_answers_the_same_figures(head, known):
    body = api(head).get(API).json()

    review = next(stage for stage in body["stages"] if stage["stage"] == S.REVIEW)
    assert (review["median_hours"], review["p90_hours"], review["return_rate"]) == (
        30,
        102,
        "0.2000",
    )
    assert body["stalled_count"] == 1
    assert body["counted_at"] is not None
    assert body["stalled"][0]["reference"] == known["stalled"].reference
    assert body["opened"] == 5
    assert sum(sum(row["counts"]) for row in body["heat"]["rows"]) == 6
    assert api(head).post(API).status_code == 405


def test_the_endpoint_is_in_the_openapi_schema(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")

    assert API in yaml.safe_load(out.read_text())["paths"]


def _queries(client, path):
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context)


def test_the_page_reads_a_constant_number_of_queries(
    client, head, manager, reviewer, product, known
):
    paths = (
        PAGE,
        API,
        "/insight/process/export.xlsx",
        f"{PAGE}?person={manager.pk}",
        f"{PAGE}?product={product.pk}",
    )
    client.force_login(head)
    small = [_queries(client, path) for path in paths]
    now = timezone.now()
    for n in range(30):
        loan = in_state(manager, product, S.APPROVAL)
        other = factories.staff(Role.REVIEWER, branch=head.branch, username=f"r{n}")
        save_visits(
            visit(loan, S.REVIEW, hours=n, left_at=now - timedelta(days=n % 20), actor=other),
            visit(loan, S.INTAKE, hours=n + 1, left_at=now - timedelta(days=n), actor=manager),
        )
        running_timer(
            loan, S.APPROVAL, started=now - timedelta(days=9), due=now - timedelta(days=n)
        )
        deviation(loan, other, now - timedelta(days=n), codes=["credit_report_checked"])
    process_aggregate()

    assert [_queries(client, path) for path in paths] == small
