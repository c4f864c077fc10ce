"""A compliance officer works the deviation log in Chromium: ticks the refused attempts, records one
note for all of them, and downloads the log as an XLSX workbook that head office can open — in
both languages, on a desktop and on a tablet."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from loans.roles import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS, login, screenshot
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import DeviationReview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1366, 768), "tablet": (820, 1180)}
# What the reader sees for the step the manager attempted, and for "acknowledged".
NAMES = {
    "en": ("Start the site visit", "acknowledged"),
    "zh-hans": ("开始实地调查", "已确认"),
}
# The texts among ``selector``'s elements that run over more than one line.
WRAPPED = """(selector) => [...document.querySelectorAll(selector)].filter((element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return element.textContent.trim() && range.getClientRects().length > 1;
}).map((element) => element.textContent.trim())"""


def refused_attempts(manager, product, count):
    made = []
    for _ in range(count):
        loan = factories.LoanFactory(account_manager=manager, product=product)
        with pytest.raises(TransitionRefused) as refused:
            perform_transition(loan, "start_site_visit", actor=manager)
        made.append(refused.value.deviation)
    return made


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", list(NAMES))
def test_compliance_acknowledges_several_deviations_and_downloads_the_xlsx(
    page: Page, live_server, manager, product, compliance, language, viewport
):
    made = refused_attempts(manager, product, 3)
    factories.staff(Role.BRANCH_HEAD, branch=manager.branch, username="head1")
    step, acknowledged = NAMES[language]
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )

    login(page, live_server, "compliance1")

    expect(page).to_have_url(re.compile(r"/loans/deviations/$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    table = page.locator("table.deviation-log")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody")).to_contain_text(step)
    expect(table.locator("tbody")).not_to_contain_text("start_site_visit")
    # The filter row wraps inside the window: nothing runs off the screen.
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('form.deviation-filters').scrollWidth,"
        " document.querySelector('form.deviation-filters').clientWidth]"
    )
    assert overflow[0] <= overflow[1], overflow
    assert overflow[2] <= overflow[3], overflow
    expect(page.locator("input[name=date_from]")).to_have_attribute("type", "date")
    # Each column header and loan reference stays on one line ("严重程度" on a tablet too).
    unbroken = "table.deviation-log thead th, table.deviation-log .reference"
    assert page.evaluate(WRAPPED, unbroken) == []
    screenshot(page, f"deviation-log-{language}-{viewport}.png")

    page.locator("[data-select-all]").check()
    expect(page.locator("input[name=deviation]:checked")).to_have_count(3)
    page.locator("#bulk-status").select_option("acknowledged")
    page.locator("#bulk-note").fill("Interviews now booked for all three.")
    page.get_by_test_id("bulk-submit").click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(table.locator("tbody")).to_contain_text(re.compile(acknowledged, re.IGNORECASE))
    for deviation in made:
        (review,) = DeviationReview.objects.filter(deviation=deviation)
        assert (review.status, review.actor_id, review.note) == (
            "acknowledged",
            compliance.pk,
            "Interviews now booked for all three.",
        )
    screenshot(page, f"deviation-log-acknowledged-{language}-{viewport}.png")

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename == "deviations.xlsx"
    kept = ARTIFACTS / f"deviations-{language}-{viewport}.xlsx"
    download.value.save_as(kept)
    sheet = load_workbook(kept).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in rows) == sorted(d.pk for d in made)
    assert {row[8] for row in rows} == {step}
    assert {row[16] for row in rows} == {acknowledged}
    assert all("Interviews now booked for all three." in row[17] for row in rows)

    page.goto(f"{live_server.url}/loans/deviations/{made[0].pk}/")
    expect(page.locator("main")).to_contain_text(step)
    screenshot(page, f"deviation-detail-{language}-{viewport}.png")
