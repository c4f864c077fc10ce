"""A new user takes a loan from application to disbursement through the real UI without one
refused attempt, in both languages, on a desktop and on a tablet: blocked steps are disabled with
their reasons, a wrongly dated visit is corrected, site-visit photos are captured from files, a
blocked soft check passes by an exception the branch head grants, the approver finds the loan by
the borrower's ID number and opens a photo full size; then compliance acknowledges the deviations
in bulk and downloads them as XLSX, and Chromium prints the approval memo with the approver's name.

The steps are found by what they do (forms, links to their URLs), not by their words, so one test
runs in every language; the words a user reads are checked in the language of the run."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from loans.models import Loan
from loans.roles import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS, login, phone_photo, screenshot
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation, DeviationReview, ExceptionRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}
LANGUAGES = ["en", "zh-hans"]
ID_NUMBER = "11010519491231002X"
APPROVER = ("Zhou", "Min")
NOTE = "Seen in the monthly review; nothing to escalate."


def in_words(language: str, message: str) -> str:
    """``message`` as a user of ``language`` reads it."""
    with translation.override(language):
        return gettext(message)


def log_in_as(page: Page, live_server, username: str, language: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, username)
    expect(page.locator("html")).to_have_attribute("lang", language)


def act(page: Page, transition: str) -> None:
    page.locator(f'form[data-transition="{transition}"]').get_by_role("button").click()
    expect(page.locator(".alert-success")).to_be_visible()


def fill(page: Page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = page.locator(f'main [name="{name}"]')
        tag = field.evaluate("element => element.tagName")
        if tag == "SELECT":
            field.select_option(value)  # by value or by label
        elif field.get_attribute("type") == "checkbox":
            field.check()
        else:
            field.fill(value)


def save(page: Page) -> None:
    page.locator("form.record-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()


def add_record(page: Page, path: str, fields: dict[str, str]) -> None:
    page.locator(f'.add-records a[href$="/records/{path}/"]').click()
    fill(page, fields)
    save(page)


def now_minute() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def refused_attempts(manager, product, count: int) -> list[Deviation]:
    """Steps other loans' account manager tried too early: deviations for compliance to review."""
    made = []
    for _ in range(count):
        loan = factories.LoanFactory(account_manager=manager, product=product)
        with pytest.raises(TransitionRefused) as refused:
            perform_transition(loan, "start_site_visit", actor=manager)
        made.append(refused.value.deviation)
    return made


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_loan_goes_from_application_to_disbursement_through_the_ui(
    page: Page, live_server, cast, product, compliance, tmp_path: Path, language, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    tag = f"{language}-{viewport}"
    cast.approver.first_name, cast.approver.last_name = APPROVER
    cast.approver.save()
    factories.staff(Role.BRANCH_HEAD, branch=cast.manager.branch, username="head1")
    earlier = refused_attempts(cast.manager, product, 2)

    # The account manager opens a borrower and an application.
    log_in_as(page, live_server, "manager1", language)
    page.locator(f'main a[href="{reverse("loans:borrower-add")}"]').click()
    fill(page, {"kind": "individual", "name": "张三", "id_number": ID_NUMBER, "industry": "F"})
    save(page)
    fill(
        page,
        {
            "product": str(product.pk),
            "amount": "80000",
            "term_months": "12",
            "purpose": "Restock for the spring festival",
            "repayment_method": "equal_instalments",
            "guarantee_type": "guarantee",
            "industry": "F",
        },
    )
    save(page)
    loan = Loan.objects.get(borrower__id_number=ID_NUMBER)
    Loan.objects.filter(pk=loan.pk).update(created_at=timezone.now() - timedelta(hours=1))
    loan_url = page.url
    assert loan_url.endswith(f"/loans/{loan.pk}/")

    # Before the interview, starting the site visit is disabled, with its reasons in words.
    expect(page.locator('form[data-transition="start_site_visit"] button')).to_be_disabled()
    expect(page.locator("main")).to_contain_text(
        in_words(language, "No face-to-face interview with the borrower has been recorded.")
    )
    screenshot(page, f"journey-01-blocked-{tag}.png")

    add_record(
        page,
        "credit-authorisations",
        {"signed_at": now_minute(), "written_consent": "on", "purpose": "loan_application"},
    )
    add_record(
        page, "interviews", {"held_at": now_minute(), "location": "Branch", "notes": "In person."}
    )
    act(page, "start_site_visit")

    # The visit is recorded with the wrong time, then corrected with a reason.
    wrong = timezone.localtime() - timedelta(minutes=5)
    right = wrong - timedelta(minutes=40)
    add_record(
        page,
        "site-visits",
        {
            "co_investigator": str(cast.co_investigator.pk),
            "visited_at": wrong.strftime("%Y-%m-%dT%H:%M"),
            "location": "人民路 8 号",
            "business": "Shop open, stock seen.",
            "cash_flow": "Six months of statements.",
            "repayment_source": "Sales.",
            "guarantee": "Guarantor met in person.",
        },
    )
    visit = loan.site_visits.get()
    page.locator("#card-site_visit .record a[href*='/site_visit_correct/']").click()
    fill(page, {"visited_at": right.strftime("%Y-%m-%dT%H:%M"), "reason": "Typed the call's time."})
    screenshot(page, f"journey-02-correct-the-visit-{tag}.png")
    save(page)
    change = f"{wrong:%Y-%m-%d %H:%M} → {right:%Y-%m-%d %H:%M}"
    expect(page.locator(".timeline li", has_text=change).last).to_be_visible()
    screenshot(page, f"journey-03-timeline-shows-the-correction-{tag}.png")

    # Two photos of the three required, captured from files at once: the soft check blocks.
    photos = [tmp_path / f"shop-{number}.jpg" for number in range(2)]
    for number, path in enumerate(photos):
        phone_photo(path, 60 + number * 90)
    capture = page.locator(f"#visit-{visit.pk} form[data-photo-upload]")
    capture.locator("input[type=file]").set_input_files([str(path) for path in photos])
    expect(capture.locator(".upload-previews img")).to_have_count(2)
    capture.locator("button[type=submit]").click()
    expect(page.locator(f"#visit-{visit.pk} .photos img")).to_have_count(2, timeout=15_000)
    expect(page.locator('form[data-transition="submit_for_review"] button')).to_be_disabled()

    # An exception is requested.
    page.locator("#why-submit_for_review a[href*='/exception_request/']").click()
    fill(page, {"reason": "The third photo was lost to a camera fault; seen twice."})
    save(page)
    (request,) = ExceptionRequest.objects.filter(object_id=loan.pk, transition="submit_for_review")
    screenshot(page, f"journey-04-exception-requested-{tag}.png")

    # The co-investigator confirms the visit (as corrected) with his own login.
    log_in_as(page, live_server, "manager2", language)
    page.goto(loan_url)
    page.locator("#my-actions form[action*='/site_visit_confirm/'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # The branch head finds the request on the overview and grants it.
    log_in_as(page, live_server, "head1", language)
    expect(page).to_have_url(re.compile(r"/loans/overview/$"))
    pending = page.locator("#pending-requests")
    screenshot(page, f"journey-05-head-pending-requests-{tag}.png")
    pending.get_by_role("link", name=loan.reference).click()
    page.locator(f"#exception-requests a[href*='/exception_grant/{request.pk}/']").click()
    fill(page, {"note": "Seen the shop twice; the photo is a formality here."})
    save(page)
    request.refresh_from_db()
    assert request.status == ExceptionRequest.Status.GRANTED

    log_in_as(page, live_server, "manager1", language)
    page.goto(loan_url)
    act(page, "submit_for_review")
    screenshot(page, f"journey-06-manager-loan-page-{tag}.png")

    # The reviewer finds it in the queue, records the credit report and the review.
    log_in_as(page, live_server, "reviewer1", language)
    expect(page).to_have_url(re.compile(r"/loans/queue/$"))
    screenshot(page, f"journey-07-reviewer-queue-{tag}.png")
    page.locator("main").get_by_role("link", name=loan.reference).click()
    add_record(page, "credit-reports", {"result": "clean", "overdue_accounts": "0"})
    add_record(
        page,
        "reviews",
        {"monthly_income": "30000", "monthly_debt_payments": "9000", "opinion": "Sound."},
    )
    act(page, "submit_for_approval")

    # The approver finds the loan by the borrower's ID number, opens a photo full size, approves.
    log_in_as(page, live_server, "approver3", language)
    search = page.locator("#nav-search")
    search.fill(ID_NUMBER)
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/$"))
    expect(page.get_by_test_id("risk-score")).to_be_visible()
    page.locator(f"#visit-{visit.pk} a.photo-link").first.click()
    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/documents/\d+/$"))
    assert page.evaluate("document.images[0].naturalWidth") == 1200  # not the thumbnail
    screenshot(page, f"journey-08-photo-full-size-{tag}.png")
    page.goto(loan_url)
    page.locator('form[data-transition="approve"] [name="conditions"]').fill(
        "Guarantor signs in person"
    )
    page.locator('form[data-transition="approve"] [name="comment"]').fill(
        "Cash flow covers the instalments; approve on the condition."
    )
    screenshot(page, f"journey-09-approver-decision-{tag}.png")
    act(page, "approve")

    # The disbursement officer records the contract, fulfils the condition, pays out.
    log_in_as(page, live_server, "officer1", language)
    page.goto(loan_url)
    page.locator("main a[href*='/actions/contract_record/']").click()
    fill(
        page,
        {
            "number": "C-2026-0001",
            "signed_at": now_minute(),
            "signed_face_to_face": "on",
            "witness": str(cast.manager.pk),
        },
    )
    save(page)
    fulfil = page.locator("form[action*='/condition_fulfil/']")
    fulfil.locator('[name="fulfilment_note"]').fill("Signed in front of me.")
    fulfil.get_by_role("button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    add_record(
        page,
        "drawdowns",
        {"amount": "80000", "method": "own_account", "direct_payment_ground": "business_use"},
    )
    screenshot(page, f"journey-10-disbursement-checklist-{tag}.png")
    act(page, "disburse")
    assert Loan.objects.get(pk=loan.pk).state == "post_loan"

    # Not one refused attempt: the journey's only deviation is the exception the head granted.
    (deviation,) = Deviation.objects.filter(object_id=loan.pk).exclude(
        pk__in=[d.pk for d in earlier]
    )
    assert deviation.kind == Deviation.Kind.POLICY_EXCEPTION
    assert deviation.severity == Deviation.Severity.LOW

    # Compliance acknowledges every deviation at once and downloads the log for head office.
    log_in_as(page, live_server, "compliance1", language)
    expect(page).to_have_url(re.compile(r"/loans/deviations/$"))
    expect(page.locator("table.deviation-log tbody tr")).to_have_count(3)
    page.locator("[data-select-all]").check()
    page.locator("#bulk-status").select_option("acknowledged")
    page.locator("#bulk-note").fill(NOTE)
    page.get_by_test_id("bulk-submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, f"journey-11-deviations-acknowledged-{tag}.png")
    reviewed = DeviationReview.objects.filter(status="acknowledged", actor=compliance, note=NOTE)
    assert sorted(reviewed.values_list("deviation_id", flat=True)) == sorted(
        [deviation.pk, *(d.pk for d in earlier)]
    )
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    kept = ARTIFACTS / f"journey-deviations-{tag}.xlsx"
    download.value.save_as(kept)
    rows = list(load_workbook(kept).active.iter_rows(min_row=2, values_only=True))
    (exception,) = [row for row in rows if row[3] == loan.reference]
    # The ID number masked, as compliance reads it everywhere.
    assert (exception[0], exception[4], exception[5]) == (
        deviation.pk,
        "张三",
        "1101**********002X",
    )
    assert {row[16] for row in rows} == {in_words(language, "acknowledged")}
    assert all(NOTE in row[17] for row in rows)

    # Chromium prints the approval memo: the PDF names the approver.
    page.goto(f"{live_server.url}/loans/{loan.pk}/memo/")
    page.emulate_media(media="print")
    expect(page.locator("nav.top")).to_be_hidden()  # the print stylesheet hides the navigation
    screenshot(page, f"journey-12-memo-print-{tag}.png")
    pdf = page.pdf(format="A4", print_background=False)
    (ARTIFACTS / f"journey-memo-{tag}.pdf").write_bytes(pdf)
    text = "\n".join(part.extract_text() for part in PdfReader(io.BytesIO(pdf)).pages)
    assert "Zhou Min" in text
    # Chromium's PDF maps some CJK characters to their compatibility forms (⼈ for 人).
    assert in_words(language, "Approval memo") in unicodedata.normalize("NFKC", text)
    assert loan.reference in text
    assert "Guarantor signs in person" in text
    assert in_words(language, "Log out") not in text
