"""Every page each role reaches is free of WCAG 2.2 A/AA violations (axe-core), in both languages,
on a desktop and on a tablet; a screenshot of each is kept in test-artifacts/.

The pages walked are listed per role in tests/browser/pages.py (how to add one is said there)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from insight.snapshots import snapshot_take
from loans import services as loan_services
from loans.choices import ReturnReason
from loans.feed import feed_import
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from recovery.services import collection_cases_open
from tests import factories
from tests.browser.accessibility import axe_violations, describe
from tests.browser.conftest import login, screenshot
from tests.browser.pages import ROLE_PAGES, SCENE_OBJECTS, Visit
from workflow.engine import TransitionRefused, perform_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}
LANGUAGES = ["en", "zh-hans"]
REASON = {"reason": ReturnReason.OTHER, "comment": "The borrower changed their plans."}


@pytest.fixture
def scene(loan, cast, branch, product, compliance) -> dict[str, int]:
    """A branch with a loan in each stage, a collection case, a refused attempt, a refused
    core-banking import and a portfolio snapshot: what the pages of pages.py show."""
    factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    factories.staff(Role.ADMINISTRATOR, branch=branch, username="admin1", is_staff=True)
    made: dict[str, Any] = {"intake": loan}
    for state in (
        LoanState.SITE_VISIT,
        LoanState.REVIEW,
        LoanState.APPROVAL,
        LoanState.DISBURSEMENT,
        LoanState.POST_LOAN,
    ):
        fresh = factories.LoanFactory(account_manager=cast.manager, product=product)
        made[state.value] = advance(fresh, state, cast)
    in_review = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    made["rejected"] = perform_transition(in_review, "reject", actor=cast.reviewer, payload=REASON)
    loan_services.days_past_due_update(loan=made["post_loan"], days_past_due=120)
    (made["case"],) = collection_cases_open()
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=cast.manager)
    made["deviation"] = refused.value.deviation
    content = b"reference,date,days_past_due\r\nLF-NOWHERE-1,2026-11-20,3\r\n"
    imported = feed_import(content=content, file_name="core.csv", actor=cast.officer)
    made["feed"] = imported.feed_import
    snapshot_take()
    assert set(made) == set(SCENE_OBJECTS)
    return {name: thing.pk for name, thing in made.items()}


def url_of(visit: Visit, scene: dict[str, int]) -> str:
    args = [scene.get(arg, arg) for arg in visit.args]
    return reverse(visit.name, args=args) + visit.query


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("username", list(ROLE_PAGES), ids=lambda name: name or "signed-out")
def test_every_page_of_the_role_is_accessible(
    page: Page, live_server, scene, username, language, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    if username:
        login(page, live_server, username)
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    found: list[str] = []
    for number, visit in enumerate(ROLE_PAGES[username]):
        response = page.goto(live_server.url + url_of(visit, scene))
        assert response is not None
        assert response.ok, f"{visit.label}: {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(visit.expect).first).to_be_visible()
        violations = axe_violations(page)
        if violations:
            found.append(f"{visit.label} ({page.url}):\n{describe(violations)}")
        who = username or "signed-out"
        screenshot(page, f"a11y-{who}-{language}-{viewport}-{number:02d}-{visit.label}.png")
    assert not found, "axe-core found WCAG 2.2 A/AA violations:\n" + "\n\n".join(found)
