"""Process analytics in Chromium: as the branch head and the compliance officer, in both
languages; the charts drawn under the content security policy beside their tables, the stalled
loan listed, and no accessibility violation found by axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from loans.roles import Role
from tests import factories
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login, screenshot
from tests.integration.insight.process_data import known  # noqa: F401 - the hand-built process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def head1(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.mark.usefixtures("known", "head1", "compliance")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("username", ["head1", "compliance1"])
def test_the_process_page_draws_its_charts_beside_their_tables(
    page: Page, live_server, username, language
):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, username)
    if language != "en":
        page.get_by_label("Language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{live_server.url}/insight/process/")

    expect(page.get_by_test_id("table-stalled").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("table-stages").locator("tbody tr")).to_have_count(5)
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(6)  # stages, holders, funnel, returns, heat-map, trend
    for chart in charts.all():
        expect(chart.locator("canvas").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"insight-process-{username}-{language}.png")
