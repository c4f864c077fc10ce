"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Tests marked ``browser`` skip when ``/usr/bin/chromium`` is missing, and fail instead under
``REQUIRE_SERVICES=1`` (as in CI, where ``.ci/install-browser`` puts it there).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Page

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls made
# under it (from fixtures, and from the live server's handlers) without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every member of staff made by tests/factories.py has this password.
STAFF_PASSWORD = "test-password"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _skip_or_fail_without_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"needs Chromium at {CHROMIUM}: run .ci/install-browser"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_chromium(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") is not None:
        _skip_or_fail_without_chromium()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium instead of a browser downloaded by ``playwright install``.

    The session-scoped browser is launched before any function-scoped fixture runs, so the
    check for Chromium happens here too: without it every test using ``page`` skips (or fails
    under ``REQUIRE_SERVICES=1``) with the reason, instead of erroring in the launch.
    """
    _skip_or_fail_without_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


# Reports every content-security-policy violation in the page to the test (Playwright's init
# scripts and bindings run outside the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`
    + (event.sample ? `: ${event.sample}` : "")
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the page reported against the content security policy, in order."""
    return []


@pytest.fixture
def page(page: Page, csp_violations: list[str]) -> Iterator[Page]:
    """The page of every browser test, with the CSP on: a violation fails the test. Both the
    ``securitypolicyviolation`` events and Chromium's "Refused to …" console messages count."""
    violations = csp_violations

    def report(text: str) -> None:
        violations.append(text)

    page.expose_function("reportCspViolation", report)
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            violations.append(message.text)

    page.on("console", on_console)
    yield page
    assert not violations, "The content security policy was violated:\n" + "\n".join(violations)


def login(page: Page, live_server: Any, username: str, password: str = STAFF_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    # The page the sign-in leads to loaded, its scripts run: a test acting at once (choosing the
    # language, whose select submits from loanflow.js) would otherwise race the page's script.
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()


def screenshot(page: Page, name: str) -> Path:
    """Keep what the user saw in ``test-artifacts/`` (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def phone_photo(path: Path, shade: int) -> None:
    """A JPEG as a phone's camera writes it, 1200 × 900, with its capture time in EXIF."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:11:20 09:30:00"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (shade, 120, 60)).save(buffer, format="JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
