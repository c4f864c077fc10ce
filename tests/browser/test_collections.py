"""A collection case from opening to written off in Chromium, in both languages: the account
manager works it, two top-level approvers endorse, the branch head writes off."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from loans import services as loan_services
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from recovery.models import CollectionCase
from recovery.services import collection_cases_open
from recovery.states import CaseState
from tests import factories
from tests.browser.conftest import login, screenshot
from workflow.models import Deviation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WHY = "Business closed; nothing left to recover."


def as_user(page: Page, live_server, username: str, language: str) -> None:
    page.context.clear_cookies()
    login(page, live_server, username)
    if language != "en":
        page.locator("select[name=language]").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)


def submit(page: Page, form: str, **fields: str) -> None:
    found = page.locator(form)
    for name, value in fields.items():
        found.locator(f"[name={name}]").fill(value)
    found.get_by_role("button").click()
    expect(page.locator(".alert-success")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_case_is_worked_to_written_off_through_the_pages(
    page: Page, live_server, loan, cast, branch, language
):
    factories.staff(Role.APPROVER, branch=branch, username="approver3b", authority_level=3)
    factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    disbursed = advance(loan, LoanState.POST_LOAN, cast)
    loan_services.days_past_due_update(loan=disbursed, days_past_due=400)
    (case,) = collection_cases_open()
    case_url = f"{live_server.url}/collections/{case.pk}/"

    as_user(page, live_server, "manager1", language)
    page.goto(f"{live_server.url}/collections/")
    page.get_by_role("link", name=disbursed.reference).click()
    expect(page).to_have_url(re.compile(rf"/collections/{case.pk}/$"))
    contact = page.locator('form[data-action="contact_log"]')
    contact.locator("[name=contacted_at]").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    contact.locator("[name=channel]").select_option("visit")
    contact.locator("[name=reached]").check()
    submit(page, 'form[data-action="contact_log"]', notes="Met the borrower at the shop.")
    submit(page, 'form[data-transition="mark_contacted"]')
    submit(page, 'form[data-transition="propose_write_off"]', comment=WHY)

    for approver in ("approver3", "approver3b"):
        as_user(page, live_server, approver, language)
        page.goto(case_url)
        submit(page, 'form[data-action="write_off_endorse"]', note="Loss, agreed.")

    as_user(page, live_server, "head1", language)
    page.goto(case_url)
    submit(page, 'form[data-transition="write_off"]', comment=WHY)

    assert CollectionCase.objects.get(pk=case.pk).state == CaseState.WRITTEN_OFF
    assert not Deviation.objects.exists()
    expect(page.locator("h1 .state")).to_have_class(re.compile("state-written_off"))
    screenshot(page, f"collection-written-off-{language}.png")
