"""The content security policy in Chromium: every screen of a role works under it, the Reveal
button and the language switch included, and a violation is caught (and fails a test)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from loans.roles import Role
from tests import factories
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_violation_is_reported_to_the_test(page: Page, live_server, manager, csp_violations):
    login(page, live_server, "manager1")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/none\" onerror=\"1\">')"
    )
    page.wait_for_timeout(300)

    assert csp_violations, "an inline event handler ran, or was not reported"
    csp_violations.clear()  # caught as it should be: the test itself passes


def test_the_manager_reveals_an_identity_number_under_the_policy(
    page: Page, live_server, loan, manager
):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/loans/{loan.pk}/")
    masked = page.get_by_test_id("masked-id_number")
    expect(masked).to_have_text(re.compile(r"^\d{4}\*{10}[\dX]{4}$"))

    page.get_by_test_id("reveal-id_number").click()

    expect(page.get_by_test_id("revealed")).to_have_text(loan.borrower.id_number)
    screenshot(page, "reveal.png")


def test_the_language_switch_works_without_an_inline_handler(page: Page, live_server, manager):
    login(page, live_server, "manager1")
    page.get_by_label("Language").select_option("zh-hans")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


@pytest.mark.parametrize(
    "path",
    [
        "/loans/mine/",
        "/loans/",
        "/loans/new/borrower/",
        "/loans/new/",
        "/notifications/",
    ],
)
def test_the_account_managers_screens_run_under_the_policy(page: Page, live_server, loan, path):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("main")).to_be_visible()
    page.get_by_role("button", name="Menu").is_visible()


def test_the_oversight_screens_run_under_the_policy(page: Page, live_server, loan, branch):
    factories.staff(Role.BRANCH_HEAD, Role.COMPLIANCE_OFFICER, branch=branch, username="head1")
    login(page, live_server, "head1")
    for path in ("/loans/overview/", "/loans/deviations/", "/loans/reference-changes/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main h1")).to_be_visible()


def test_the_admin_and_the_api_docs_run_under_the_policy(page: Page, live_server, loan):
    factories.staff(
        Role.ADMINISTRATOR, branch=None, username="admin", is_staff=True, is_superuser=True
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill("test-password")
    page.locator("input[type=submit]").click()
    for path in (
        "/admin/",
        "/admin/loans/loan/",
        f"/admin/loans/loan/{loan.pk}/change/",
        "/admin/loans/borrower/",
        "/admin/loans/blockedborrower/add/",
        "/admin/loans/user/",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15000)
    screenshot(page, "api-docs.png")
