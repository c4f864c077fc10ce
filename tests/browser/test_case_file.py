"""The loan page as a case file in Chromium, in both languages, on a desktop and on a tablet: an
account manager adds several site-visit photos at once from files, and an approver opens one full
size; the reader's own steps are within the first screen."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from loans.choices import DocumentKind
from loans.journeys import EVIDENCE_PDF, act, advance
from loans.models import Document
from loans.states import LoanState
from tests.browser.conftest import login, phone_photo, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1366, 768), "tablet": (820, 1180)}


def choose_language(page: Page, language: str) -> None:
    if language != "en":
        page.locator("select[name=language]").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)


def first_action_is_on_the_first_screen(page: Page, height: int) -> None:
    first = page.locator("#my-actions .btn").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None
    assert box["y"] < height, f"the first action starts {box['y']:.0f} px down"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("screen", ["desktop", "tablet"])
def test_photos_are_added_at_a_site_visit_and_an_approver_opens_one_full_size(
    page: Page, live_server, loan, cast, tmp_path, language, screen
):
    width, height = VIEWPORTS[screen]
    page.set_viewport_size({"width": width, "height": height})
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    visit = act(
        loan,
        "site_visit_record",
        cast.manager,
        co_investigator=cast.co_investigator,
        visited_at=timezone.now(),
        location="The shop on Main Street",
        business="Grocery, open daily.",
        cash_flow="Takings match the statements.",
        repayment_source="Sales.",
        guarantee="Guarantor met in person.",
    )
    act(loan, "site_visit_confirm", cast.co_investigator, record=visit)
    photos = [tmp_path / f"shop-{n}.jpg" for n in range(3)]
    for n, path in enumerate(photos):
        phone_photo(path, 60 + n * 60)

    login(page, live_server, cast.manager.username)
    choose_language(page, language)
    page.goto(f"{live_server.url}/loans/{loan.pk}/")
    first_action_is_on_the_first_screen(page, height)
    form = page.locator(f"#visit-{visit.pk} form[data-photo-upload]")
    picker = form.locator("input[type=file]")
    expect(picker).to_have_attribute("capture", "environment")
    picker.set_input_files([str(path) for path in photos])
    expect(form.locator(".upload-previews img")).to_have_count(3)
    form.locator("button[type=submit]").click()

    shown = page.locator(f"#visit-{visit.pk} .photos img")
    expect(shown).to_have_count(3, timeout=15_000)
    assert Document.objects.filter(site_visit=visit).count() == 3
    # A function, not an expression: an expression is evaluated with eval(), which the page's
    # content security policy refuses.
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#visit-{visit.pk} .photos img')]"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )
    expect(page.locator(f"#visit-{visit.pk} .photos time").first).to_have_text("2026-11-20 09:30")
    screenshot(page, f"case-file-photos-{language}-{screen}.png")

    act(loan, "document_upload", cast.manager, kind=DocumentKind.BUSINESS_LICENCE,
        file=ContentFile(EVIDENCE_PDF, name="licence.pdf"))  # fmt: skip
    loan = advance(loan, LoanState.APPROVAL, cast)
    page.context.clear_cookies()
    login(page, live_server, cast.approver.username)
    choose_language(page, language)
    page.goto(f"{live_server.url}/loans/{loan.pk}/")
    first_action_is_on_the_first_screen(page, height)
    # The SLA badge is tall enough for Chinese characters (a line height of 1 clips their tops).
    badge = page.locator(".next-actor .badge")
    ratio = badge.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight)"
        " / parseFloat(getComputedStyle(el).fontSize)"
    )
    assert ratio >= 1.3
    # The PDF is previewed in a frame of the page: the content security policy lets it load.
    preview = page.locator("#card-document details.pdf-preview")
    preview.locator("summary").click()
    expect(preview.locator("iframe")).to_be_visible()
    page.wait_for_timeout(1000)  # a refused frame would be reported as a violation by now
    screenshot(page, f"case-file-approver-{language}-{screen}.png")
    link = page.locator(f"#visit-{visit.pk} a.photo-link").first
    link.click()

    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/documents/\d+/$"))
    full_width = page.evaluate("document.images[0].naturalWidth")
    assert full_width == 1200  # the photo itself, not its thumbnail
    screenshot(page, f"case-file-photo-full-size-{language}-{screen}.png")
