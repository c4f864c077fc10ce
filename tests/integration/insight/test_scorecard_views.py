"""The scorecard pages, drill-down, exports and API: who sees which cards, what they show, and a
query count that does not grow with the loans or the months measured."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from insight.scorecard_measure import scorecard_backfill, scorecard_take
from loans.roles import Role
from tests import factories
from tests.integration.insight.scorecard_data import (
    MEASURED_AT,
    build_month,
    disbursed,
    watch_item,
)
from watch.models import WatchItem
from watch.states import ItemState

pytestmark = pytest.mark.django_db
PAGE = "/insight/scorecard/"
BEHIND = "/insight/scorecard/behind/"
API = "/api/v1/insight/scorecard/"
SEPTEMBER = {"period": "2026-09"}


@pytest.fixture
def careful(branch):
    return factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="careful")


@pytest.fixture
def month(manager, careful, product):
    with time_machine.travel(MEASURED_AT, tick=False):
        loans = build_month(manager, careful, product)
        scorecard_take()
    return loans


def test_the_branch_head_sees_every_card_ranked_with_each_factors_points(client, head, month):
    client.force_login(head)
    page = client.get(PAGE, SEPTEMBER).content.decode()

    assert page.index('data-manager="careful"') < page.index('data-manager="manager1"')
    assert "88.00" in page
    assert "68.46" in page
    assert "¥2,000,000.00" in page
    assert "50.0%" in page
    assert 'id="scorecard-charts"' in page
    assert "<script>" not in page  # no inline script (CSP)


def test_an_account_manager_sees_only_their_own_card(client, manager, careful, month):
    client.force_login(careful)
    page = client.get(PAGE, SEPTEMBER).content.decode()

    assert 'data-manager="careful"' in page
    assert 'data-manager="manager1"' not in page
    assert "¥2,000,000.00" not in page
    assert (
        client.get(BEHIND, {**SEPTEMBER, "manager": manager.pk, "figure": "disbursed"}).status_code
        == 404
    )
    own = client.get(API, SEPTEMBER).json()
    assert [card["manager"] for card in own["cards"]] == [careful.pk]


@pytest.mark.parametrize("path", [PAGE, BEHIND, API, "/insight/scorecard/export.csv"])
def test_a_compliance_officer_is_refused(client, compliance, month, path):
    client.force_login(compliance)
    assert client.get(path, SEPTEMBER).status_code == 403


def test_another_branch_head_sees_no_card_of_this_branch(
    client, branch, other_branch, manager, month
):
    stranger = factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head9")
    client.force_login(stranger)

    assert client.get(PAGE, {**SEPTEMBER, "office": branch.pk}).status_code == 404
    assert (
        client.get(BEHIND, {**SEPTEMBER, "manager": manager.pk, "figure": "book"}).status_code
        == 404
    )
    assert b"manager1" not in client.get(PAGE, SEPTEMBER).content


@pytest.mark.parametrize(
    ("figure", "rows"),
    [
        ("disbursed", 4),
        ("non_performing", 2),
        ("book", 4),
        ("deviations", 2),
        ("downgrades", 2),
        ("watch_open", 1),
        ("watch_overdue", 1),
        ("watch_resolved_late", 1),
        ("watch_late", 2),
    ],
)
def test_each_figure_drills_down_to_the_loans_or_events_behind_it(
    client, head, manager, month, figure, rows
):
    client.force_login(head)
    response = client.get(BEHIND, {**SEPTEMBER, "manager": manager.pk, "figure": figure})

    assert response.status_code == 200
    table = response.content.decode().split('data-testid="drill-down"', 1)[1]
    assert table.count("LF-TEST-") == rows


def test_the_watch_list_figure_links_to_the_items_and_the_filtered_watch_list(
    client, head, manager, month
):
    client.force_login(head)
    page = client.get(PAGE, SEPTEMBER).content.decode()
    behind = client.get(BEHIND, {**SEPTEMBER, "manager": manager.pk, "figure": "watch_overdue"})
    (overdue,) = WatchItem.objects.filter(account_manager=manager, state=ItemState.OPEN)

    assert "figure=watch_late" in page  # the factor's points
    assert "figure=watch_overdue" in page  # the figure
    body = behind.content.decode()
    assert f'data-item="{overdue.pk}"' in body
    assert f"/watch/{overdue.pk}/" in body
    link = f"/watch/?manager={manager.pk}&amp;state=open&amp;overdue=on"
    assert link in body
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert f"/watch/{overdue.pk}/" in listed


def test_the_tables_export_as_csv_and_xlsx(client, head, month):
    client.force_login(head)
    scores = client.get("/insight/scorecard/export.csv", {**SEPTEMBER, "table": "scores"})
    rows = list(csv.reader(io.StringIO(scores.content.decode())))
    book = load_workbook(
        io.BytesIO(client.get("/insight/scorecard/export.xlsx", SEPTEMBER).content)
    )

    assert [row[:3] for row in rows[1:]] == [["1", "careful", "88.00"], ["2", "manager1", "68.46"]]
    assert len(book.sheetnames) == 3
    figures = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/insight/scorecard/export.csv", {**SEPTEMBER, "table": "figures"}
                ).content.decode()
            )
        )
    )
    overdue = figures[0].index("Watch-list items overdue")
    assert {row[0]: row[overdue] for row in figures[1:]} == {"careful": "0", "manager1": "1"}
    assert "Watch-list items answered on time" in rows[0]


def test_the_api_gives_the_cards_with_each_factors_contribution(client, head, manager, month):
    client.force_login(head)
    body = client.get(API, SEPTEMBER).json()

    busy = next(card for card in body["cards"] if card["manager"] == manager.pk)
    assert busy["rank"] == 2
    assert busy["composite"] == "68.46"
    volume = next(f for f in busy["factors"] if f["name"] == "volume")
    assert (volume["weight"], volume["contribution"]) == (20, "20.00")
    assert busy["totals"]["non_performing_share"] == "0.5000"
    assert (busy["totals"]["watch_open"], busy["totals"]["watch_overdue"]) == (1, 1)
    assert busy["totals"]["watch_resolved_late"] == 1
    watch = next(f for f in busy["factors"] if f["name"] == "watch_list")
    assert (watch["weight"], watch["score"], watch["contribution"]) == (5, "0.0000", "0.00")


def test_the_api_is_in_the_openapi_schema(client, head):
    client.force_login(head)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/insight/scorecard/" in schema
    assert "watch_overdue" in schema


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE, {"period": "2026-Q3"}).status_code == 200
    return len(queries)


def test_the_page_reads_a_constant_number_of_queries(
    client, head, manager, careful, product, month
):
    client.force_login(head)
    before = _queries(client)
    more = factories.staff(Role.ACCOUNT_MANAGER, branch=manager.branch, username="third")
    with time_machine.travel(MEASURED_AT, tick=False):
        for day in range(1, 20):
            disbursed(more, product, on_day=day, cycle_days=day, amount=100_000, balance=90_000)
        scorecard_backfill(since=date(2026, 7, 1), until=date(2026, 9, 30))

    assert _queries(client) == before
    assert b"third" in client.get(PAGE, {"period": "2026-Q3"}).content


def test_a_month_without_figures_says_so(client, head):
    client.force_login(head)
    assert b'data-testid="no-cards"' in client.get(PAGE, {"period": "2020-01"}).content


def _behind_queries(client, manager) -> int:
    query = {**SEPTEMBER, "manager": manager.pk, "figure": "watch_late"}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(BEHIND, query).status_code == 200
    return len(queries)


def test_the_watch_list_drill_down_reads_a_constant_number_of_queries(
    client, head, manager, product, month
):
    client.force_login(head)
    before = _behind_queries(client, manager)
    with time_machine.travel(MEASURED_AT, tick=False):
        for day in range(1, 8):
            loan = disbursed(manager, product, on_day=day, cycle_days=3, amount=1, balance=1)
            watch_item(loan, "funds_not_as_stated", opened_day=day)

    assert _behind_queries(client, manager) == before


@pytest.mark.postgres
def test_the_disbursed_loans_drill_down_pages_along_the_managers_disbursement_index(
    client, head, manager, product
):
    """The latest disbursed first, read along (account manager, disbursed_at, id): a page of the
    drill-down reads its rows, not every loan the manager disbursed in the period, sorted."""
    with time_machine.travel(MEASURED_AT, tick=False):
        made = [
            disbursed(manager, product, on_day=day, cycle_days=3, amount=1, balance=1)
            for day in range(1, 29)
        ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE loans_loan")
    client.force_login(head)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(BEHIND, {**SEPTEMBER, "manager": manager.pk, "figure": "disbursed"})
    (page_query,) = [
        q["sql"]
        for q in captured.captured_queries
        if "disbursed_at" in q["sql"] and "ORDER BY" in q["sql"] and "loans_loan" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert [loan.pk for loan in response.context["page"].rows] == [loan.pk for loan in made[::-1]]
    assert "loan_manager_disbursed" in plan, plan
    assert "Sort Key: loans_loan.disbursed_at" not in plan, plan
