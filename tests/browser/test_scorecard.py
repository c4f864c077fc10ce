"""The account-manager scorecard in Chromium: as the branch head and as a manager, in both
languages; the charts drawn under the content security policy, the page clean under axe-core, and
a factor's points followed to the events behind them."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page, expect

from insight.scorecard_measure import scorecard_take
from loans.roles import Role
from tests import factories
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login, screenshot
from tests.integration.insight.scorecard_data import MEASURED_AT, build_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SEPTEMBER = "/insight/scorecard/?period=2026-09"


@pytest.fixture
def month(branch, manager, product):
    factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    careful = factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="careful")
    with time_machine.travel(MEASURED_AT, tick=False):
        build_month(manager, careful, product)
        scorecard_take()


def _open(page: Page, live_server, username: str, language: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, username)
    if language != "en":
        page.get_by_label("Language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{live_server.url}{SEPTEMBER}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("username", "cards"), [("head1", 2), ("manager1", 1)])
def test_the_scorecard_draws_its_charts_beside_their_tables(
    page: Page, live_server, month, username, cards, language
):
    _open(page, live_server, username, language)

    expect(page.get_by_test_id("scores").locator("tbody tr")).to_have_count(cards)
    expect(page.get_by_test_id("composite").last).to_have_text("68.46")
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"insight-scorecard-{username}-{language}-desktop.png")


def test_the_head_follows_a_factor_to_the_events_behind_it(page: Page, live_server, month):
    _open(page, live_server, "head1", "en")

    row = page.locator("[data-testid=scores] tr[data-manager=manager1]")
    row.get_by_role("link", name="7.50").click()  # deviations: two high on four loans

    expect(page.get_by_test_id("drill-down").locator("tbody tr")).to_have_count(2)
    screenshot(page, "insight-scorecard-drill-down-head1-en-desktop.png")
