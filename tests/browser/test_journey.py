"""Staff drive the real pages in Chromium: landing screens, a loan's next steps, the language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from loans.journeys import advance, prepare_to_leave
from loans.states import LoanState
from tests.browser.conftest import login, screenshot
from workflow.models import Deviation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTERVIEW_MISSING = "No face-to-face interview with the borrower has been recorded."


def open_loan(page: Page, live_server, loan) -> None:
    login(page, live_server, "manager1")
    expect(page).to_have_url(re.compile(r"/loans/mine/$"))
    page.get_by_role("link", name=re.compile(re.escape(loan.reference))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(loan.reference)


def start_site_visit(page: Page) -> None:
    page.locator('form[data-transition="start_site_visit"]').get_by_role("button").click()


def test_an_account_manager_lands_on_the_pipeline_and_opens_a_loan(page: Page, live_server, loan):
    open_loan(page, live_server, loan)

    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/$"))
    next_steps = page.locator("section", has=page.get_by_role("heading", name="Next steps"))
    expect(next_steps).to_be_visible()
    expect(
        next_steps.locator("li.bad", has_text="A face-to-face interview is on file")
    ).to_contain_text("✗")


def test_a_step_whose_checks_fail_is_disabled_with_its_reasons(page: Page, live_server, loan):
    open_loan(page, live_server, loan)

    button = page.locator('form[data-transition="start_site_visit"]').get_by_role("button")
    expect(button).to_be_disabled()
    expect(page.locator("#why-start_site_visit")).to_contain_text("Blocked until every check")
    expect(page.locator("main")).to_contain_text(INTERVIEW_MISSING)
    assert not Deviation.objects.exists()  # a careful user never creates one by accident
    screenshot(page, "blocked-step.png")


def test_a_ready_loan_moves_on_from_the_loan_page(page: Page, live_server, loan, cast):
    prepare_to_leave(loan, cast)
    open_loan(page, live_server, loan)

    start_site_visit(page)

    expect(page.locator(".alert-success")).to_contain_text("Done: the loan is now in")
    stage = page.locator("h1 .state")
    expect(stage).to_have_class(re.compile(r"\bstate-site_visit\b"))
    expect(stage).to_have_text(re.compile("site visit", re.IGNORECASE))
    screenshot(page, "loan-page.png")


def test_the_ui_speaks_simplified_chinese(page: Page, live_server, loan):
    login(page, live_server, "manager1")
    expect(page).to_have_url(re.compile(r"/loans/mine/$"))

    page.locator("select[name=language]").select_option("zh-hans")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("navigation").get_by_role("link", name="我的贷款")).to_be_visible()
    screenshot(page, "pipeline-zh.png")


def test_a_reviewer_lands_on_the_queue(page: Page, live_server, loan, cast):
    advance(loan, LoanState.REVIEW, cast)

    login(page, live_server, "reviewer1")

    expect(page).to_have_url(re.compile(r"/loans/queue/$"))
    expect(page.get_by_role("link", name=loan.reference)).to_be_visible()
    screenshot(page, "queue.png")
