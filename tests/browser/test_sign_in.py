"""The second factor in Chromium: an approver enrols an authenticator (QR code drawn on the page,
the key typed out beside it), keeps the backup codes, and logs in again with the app's code; a
locked-out user reads why on the login page."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(secret: str) -> str:
    typed = secret.replace(" ", "")
    key = base64.b32decode(typed + "=" * (-len(typed) % 8))
    return f"{totp(key):06d}"


def next_code(username: str) -> str:
    """The code of the time step after the last one the user's authenticator was passed with: one
    the device has not seen, within its tolerance of the clock however the enrolment's code fell
    against a 30-second boundary (a code accepted a step late leaves the device a drift of -1)."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    counter = TOTP(device.bin_key, device.step, device.t0, device.digits)
    counter.time = device.t0 + (device.last_t + 1) * device.step
    return f"{counter.token():0{device.digits}d}"


def test_an_approver_enrols_an_authenticator_and_logs_in_with_it(
    page: Page, live_server, approver, settings
):
    settings.MFA_REQUIRED_ROLES = list(settings.PRIVILEGED_ROLES)

    login(page, live_server, "approver3")

    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/"))
    expect(page.locator("[data-testid=qr] svg")).to_be_visible()
    secret = page.locator("[data-testid=secret]").inner_text()
    screenshot(page, "mfa-enrol.png")
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("[data-testid=backup-codes] li")).to_have_count(10)
    screenshot(page, "mfa-backup-codes.png")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(re.compile(r"/loans/queue/$"))

    page.locator("nav").get_by_role("button", name="Log out").click()
    login(page, live_server, "approver3")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    page.get_by_label("Code").fill(next_code("approver3"))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/loans/queue/$"))


def test_a_locked_out_user_reads_why_on_the_login_page(page: Page, live_server, manager):
    for _ in range(5):
        login(page, live_server, "manager1", password="not-the-password")

    login(page, live_server, "manager1")

    expect(page.locator("[data-testid=locked]")).to_contain_text("This account is locked.")
    expect(page.locator("[data-testid=locked]")).to_contain_text("Ask an administrator")
    screenshot(page, "locked-out.png")
