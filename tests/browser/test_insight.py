"""The portfolio dashboard in Chromium: as the branch head and the compliance officer, in both
languages, on a desktop and a tablet; the charts drawn under the content security policy, and a
figure followed to the loans behind it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from insight.snapshots import snapshot_take
from loans.choices import GuaranteeType, Industry, RiskClass
from loans.roles import Role
from tests import factories
from tests.browser.conftest import login, screenshot
from tests.integration.insight.data import held

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture
def dashboard(branch, manager, compliance, product):
    factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    for industry, guarantee, balance, risk in (
        (Industry.F, GuaranteeType.GUARANTEE, 400_000, RiskClass.NORMAL),
        (Industry.F, GuaranteeType.MORTGAGE, 250_000, RiskClass.SPECIAL_MENTION),
        (Industry.C, GuaranteeType.GUARANTEE, 200_000, RiskClass.SUBSTANDARD),
        (Industry.A, GuaranteeType.CREDIT, 150_000, RiskClass.LOSS),
    ):
        held(
            manager,
            product,
            industry=industry,
            guarantee_type=guarantee,
            outstanding_balance=Decimal(balance),
            risk_class=risk,
        )
    snapshot_take()


def _open(page: Page, live_server, username: str, language: str, viewport: str) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    login(page, live_server, username)
    if language != "en":
        page.get_by_label("Language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{live_server.url}/insight/portfolio/")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("username", ["head1", "compliance1"])
def test_the_dashboard_draws_its_charts_beside_their_tables(
    page: Page, live_server, dashboard, username, language, viewport
):
    _open(page, live_server, username, language, viewport)

    expect(page.get_by_test_id("balance")).to_have_text("¥1,000,000.00")
    expect(page.get_by_test_id("npl")).to_have_text("35.0%")
    expect(page.locator("[data-testid=limits] tr[data-status=over]")).to_have_count(2)
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    assert page.locator("[data-chart] canvas").count() >= 9  # the trend and each breakdown
    expect(page.get_by_test_id("table-industry").locator("tbody tr")).to_have_count(3)
    screenshot(page, f"insight-portfolio-{username}-{language}-{viewport}.png")


def test_the_head_follows_a_figure_to_the_loans_behind_it(page: Page, live_server, dashboard):
    _open(page, live_server, "head1", "en", "desktop")

    page.get_by_test_id("table-industry").get_by_role("link").first.click()

    expect(page.get_by_test_id("drill-down").locator("tbody tr")).to_have_count(2)
    screenshot(page, "insight-drill-down-head1-en-desktop.png")
