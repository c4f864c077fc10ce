"""A new user takes a loan from application to disbursement through the real UI without one
refused attempt: blocked steps are disabled with their reasons, a wrongly dated visit is
corrected, and a blocked soft check passes by an exception the branch head grants."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from loans.journeys import EVIDENCE_PHOTO
from loans.models import Loan
from loans.roles import Role
from tests import factories
from tests.browser.conftest import login, screenshot
from workflow.models import Deviation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def act(page: Page, transition: str) -> None:
    page.locator(f'form[data-transition="{transition}"]').get_by_role("button").click()


def add_record(page: Page, label: str, fields: dict[str, str]) -> None:
    page.locator(".add-records").get_by_role("link", name=label, exact=True).click()
    for name, value in fields.items():
        field = page.locator(f'[name="{name}"]')
        tag = field.evaluate("element => element.tagName")
        if tag == "SELECT":
            field.select_option(value)  # by value or by label
        elif field.get_attribute("type") == "checkbox":
            field.check()
        else:
            field.fill(value)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_be_visible()


def log_in_as(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    login(page, live_server, username)


def now_minute() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_a_loan_goes_from_application_to_post_loan_through_the_ui(
    page: Page, live_server, cast, product, compliance, tmp_path: Path
):
    # The account manager opens a borrower and an application.
    log_in_as(page, live_server, "manager1")
    page.get_by_role("link", name="New borrower").click()
    page.locator('[name="kind"]').select_option("individual")
    page.locator('[name="name"]').fill("张三")
    page.locator('[name="id_number"]').fill("11010519491231002X")
    page.locator('[name="industry"]').select_option("F")
    page.get_by_role("button", name="Save").click()
    page.locator('[name="product"]').select_option(label=product.name)
    page.locator('[name="amount"]').fill("80000")
    page.locator('[name="term_months"]').fill("12")
    page.locator('[name="purpose"]').fill("Restock for the spring festival")
    page.locator('[name="repayment_method"]').select_option("equal_instalments")
    page.locator('[name="guarantee_type"]').select_option("guarantee")
    page.locator('[name="industry"]').select_option("F")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("opened")
    loan = Loan.objects.get()
    Loan.objects.filter(pk=loan.pk).update(created_at=timezone.now() - timedelta(hours=1))
    loan_url = page.url

    # Before the interview, starting the site visit is disabled, with its reasons.
    expect(page.locator('form[data-transition="start_site_visit"] button')).to_be_disabled()
    expect(page.locator("main")).to_contain_text(
        "No face-to-face interview with the borrower has been recorded."
    )
    screenshot(page, "journey-1-blocked.png")

    add_record(
        page,
        "Credit report authorisation",
        {"signed_at": now_minute(), "written_consent": "on", "purpose": "loan_application"},
    )
    add_record(
        page, "Interview", {"held_at": now_minute(), "location": "Branch", "notes": "Face to face."}
    )
    act(page, "start_site_visit")
    expect(page.locator(".alert-success")).to_contain_text("site visit")

    # The visit is recorded with the wrong time, then corrected with a reason.
    wrong = timezone.localtime() - timedelta(minutes=5)
    right = wrong - timedelta(minutes=40)
    add_record(
        page,
        "Site visit",
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
    page.locator("#card-site_visit .record").get_by_role("link", name="Correct").click()
    page.locator('[name="visited_at"]').fill(right.strftime("%Y-%m-%dT%H:%M"))
    page.locator('[name="reason"]').fill("Typed the time of the phone call, not of the visit.")
    screenshot(page, "journey-2-correct-the-visit.png")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_be_visible()
    change = page.locator(".timeline li", has_text="Correct: Site visit")
    expect(change).to_contain_text(f"{wrong:%Y-%m-%d %H:%M} → {right:%Y-%m-%d %H:%M}")
    screenshot(page, "journey-3-timeline-shows-the-correction.png")

    # Two photos of the three required: the soft check blocks, an exception is requested.
    for number in range(2):
        photo = tmp_path / f"shop-{number}.jpg"
        photo.write_bytes(EVIDENCE_PHOTO)
        page.locator(".add-records").get_by_role("link", name="Document or photo").click()
        page.locator('[name="kind"]').select_option("photo")
        page.locator('[name="site_visit"]').select_option(str(visit.pk))
        page.locator('[name="file"]').set_input_files(str(photo))
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator('form[data-transition="submit_for_review"] button')).to_be_disabled()
    page.locator("#why-submit_for_review").get_by_role(
        "link", name="Request a policy exception"
    ).click()
    page.locator('[name="reason"]').fill("The third photo was lost to a camera fault; seen twice.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#exception-requests")).to_contain_text("pending")
    screenshot(page, "journey-4-exception-requested.png")

    # The co-investigator confirms the visit (as corrected) with his own login.
    log_in_as(page, live_server, "manager2")
    page.goto(loan_url)
    page.get_by_role("button", name="I made this visit: confirm").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # The branch head finds the request on the overview and grants it.
    factories.staff(Role.BRANCH_HEAD, branch=cast.manager.branch, username="head1")
    log_in_as(page, live_server, "head1")
    expect(page).to_have_url(re.compile(r"/loans/overview/$"))
    pending = page.locator("#pending-requests")
    expect(pending).to_contain_text("The visit's location and enough evidence are on file")
    screenshot(page, "journey-5-head-pending-requests.png")
    pending.get_by_role("link", name=loan.reference).click()
    page.locator("#exception-requests").get_by_role("link", name="Grant").click()
    page.locator('[name="note"]').fill("Seen the shop twice; the photo is a formality here.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#exception-requests")).to_contain_text("granted")

    log_in_as(page, live_server, "manager1")
    page.goto(loan_url)
    act(page, "submit_for_review")
    expect(page.locator(".alert-success")).to_contain_text("review")
    screenshot(page, "journey-6-manager-loan-page.png")

    # The reviewer finds it in the queue, records the credit report and the review.
    log_in_as(page, live_server, "reviewer1")
    expect(page).to_have_url(re.compile(r"/loans/queue/$"))
    screenshot(page, "journey-7-reviewer-queue.png")
    page.get_by_role("link", name=loan.reference).click()
    add_record(page, "Credit report", {"result": "clean", "overdue_accounts": "0"})
    add_record(
        page,
        "Review",
        {"monthly_income": "30000", "monthly_debt_payments": "9000", "opinion": "Sound."},
    )
    act(page, "submit_for_approval")
    expect(page.locator(".alert-success")).to_contain_text("approval")

    # The approver approves with a condition.
    log_in_as(page, live_server, "approver3")
    page.get_by_role("link", name=loan.reference).click()
    expect(page.get_by_test_id("risk-score")).to_be_visible()
    page.locator('form[data-transition="approve"] [name="conditions"]').fill(
        "Guarantor signs in person"
    )
    page.locator('form[data-transition="approve"] [name="comment"]').fill(
        "Cash flow covers the instalments; approve on the condition."
    )
    screenshot(page, "journey-8-approver-decision.png")
    act(page, "approve")
    expect(page.locator(".alert-success")).to_contain_text("disbursement")

    # The disbursement officer records the contract, fulfils the condition, pays out.
    log_in_as(page, live_server, "officer1")
    page.goto(loan_url)
    page.get_by_role("link", name="Record the contract").click()
    page.locator('[name="number"]').fill("C-2026-0001")
    page.locator('[name="signed_at"]').fill(now_minute())
    page.locator('[name="signed_face_to_face"]').check()
    page.locator('[name="witness"]').select_option(str(cast.manager.pk))
    page.get_by_role("button", name="Save").click()
    page.locator('[name="fulfilment_note"]').fill("Signed in front of me.")
    page.get_by_role("button", name="Fulfilled").click()
    add_record(
        page,
        "Drawdown",
        {"amount": "80000", "method": "own_account", "direct_payment_ground": "business_use"},
    )
    screenshot(page, "journey-9-disbursement-checklist.png")
    act(page, "disburse")
    expect(page.locator(".alert-success")).to_contain_text("post-loan")
    assert Loan.objects.get().state == "post_loan"

    # Not one refused attempt: the only deviation is the exception the head granted.
    (deviation,) = Deviation.objects.all()
    assert deviation.kind == Deviation.Kind.POLICY_EXCEPTION
    assert deviation.severity == Deviation.Severity.LOW

    # The branch head's overview counts the loan among the disbursed.
    log_in_as(page, live_server, "head1")
    expect(page).to_have_url(re.compile(r"/loans/overview/$"))
    expect(page.locator("main")).to_contain_text("post-loan")
    screenshot(page, "journey-10-branch-overview.png")
