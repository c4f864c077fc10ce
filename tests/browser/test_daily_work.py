"""The daily screens in Chromium, in both languages, on a desktop and a tablet: the task inbox,
the pipeline, the search box, the notifications and the approval memo, each free of WCAG 2.x
A/AA violations (axe-core). The search by ID number and the memo printed to PDF are steps of
test_full_journey.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import Page, expect

from loans.journeys import advance
from loans.models import Loan
from loans.states import LoanState
from tests import factories
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login, screenshot
from workflow.models import Notification, Timer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}
LANGUAGES = ["en", "zh-hans"]
APPROVER_NAME = ("Zhou", "Min")


@pytest.fixture
def approved(loan, cast):
    cast.approver.first_name, cast.approver.last_name = APPROVER_NAME
    cast.approver.save()
    return advance(loan, LoanState.DISBURSEMENT, cast)


@pytest.fixture
def waiting(cast):
    """Loans in review: one overdue, one due tomorrow, each with a borrower's phone."""
    loans = factories.LoanFactory.create_batch(2, account_manager=cast.manager)
    Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(state=LoanState.REVIEW)
    now = timezone.now()
    for loan, due_at in zip(
        loans, (now - timedelta(hours=3), now + timedelta(days=1)), strict=True
    ):
        # The running stage timer, and its due date kept on the loan as the step into the stage
        # keeps it (LoanProcess.on_entered): the queue's order and the navigation's counts.
        Loan.objects.filter(pk=loan.pk).update(stage_due_at=due_at)
        Timer.objects.create(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id=loan.pk,
            kind=Timer.Kind.STAGE,
            stage=LoanState.REVIEW,
            started_at=now - timedelta(days=4),
            remind_at=due_at - timedelta(hours=4),
            due_at=due_at,
        )
        Notification.objects.create(
            recipient=cast.reviewer,
            kind=Notification.Kind.REMINDER,
            content_type=ContentType.objects.get_for_model(Loan),
            object_id=loan.pk,
            subject=f"Reminder: {loan.reference} is due",
            body="",
            created_at=now,
        )
    return loans


def in_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def check(page: Page, name: str) -> None:
    """What a user sees is accessible; keep a screenshot of it."""
    assert_accessible(page)
    screenshot(page, f"{name}.png")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_daily_screens_are_accessible(
    page: Page, live_server, approved, waiting, cast, language, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    in_language(page, live_server, language)
    tag = f"{language}-{viewport}"

    login(page, live_server, "reviewer1")
    page.goto(f"{live_server.url}/loans/queue/")
    rows = page.get_by_test_id("queue-row")
    expect(rows.first).to_contain_text(waiting[0].reference)  # the overdue loan leads
    if viewport == "tablet":  # the menu is folded under its button on a tablet
        page.get_by_role("button", name=re.compile("Menu|菜单")).click()
    expect(page.get_by_test_id("nav-queue").get_by_test_id("overdue")).to_be_visible()
    check(page, f"queue-{tag}")

    page.get_by_label(re.compile("Find a loan|查找贷款")).fill(waiting[1].borrower.name)
    page.get_by_label(re.compile("Find a loan|查找贷款")).press("Enter")
    expect(page.get_by_test_id("search-results")).to_contain_text(waiting[1].reference)
    check(page, f"search-{tag}")

    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("notification")).to_have_count(2)
    check(page, f"notifications-{tag}")

    page.goto(f"{live_server.url}/loans/{approved.pk}/memo/")
    expect(page.get_by_test_id("memo")).to_contain_text("Zhou Min")
    check(page, f"memo-{tag}")

    page.context.clear_cookies()
    in_language(page, live_server, language)
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/loans/mine/")
    check(page, f"pipeline-{tag}")


def test_notifications_are_opened_and_marked_read(page: Page, live_server, waiting, cast):
    login(page, live_server, "reviewer1")
    page.goto(f"{live_server.url}/notifications/")

    page.get_by_test_id("mark-read").first.click()
    expect(page.get_by_test_id("mark-read")).to_have_count(1)
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("mark-read")).to_have_count(0)

    page.get_by_role("link", name=re.compile(re.escape(waiting[0].reference))).click()
    expect(page).to_have_url(re.compile(rf"/loans/{waiting[0].pk}/$"))


def test_the_skip_link_is_the_first_stop_and_focus_is_visible(page: Page, live_server, cast):
    login(page, live_server, "reviewer1")
    page.goto(f"{live_server.url}/loans/queue/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # on into the page: the focused control shows a ring
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"]
