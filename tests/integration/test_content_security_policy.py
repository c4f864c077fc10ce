"""The content security policy: sent with every page, under every settings module, and kept by
the templates — no page renders an inline script, an inline event handler or a style attribute."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from loans.journeys import advance, prepare_to_leave
from loans.roles import Role
from loans.states import LoanState
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)


class InlineCode(HTMLParser):
    """Collects what the policy would block: a <script> without src, an on* attribute, a style
    attribute or a <style> element."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append(f"<script> without src: {self.getpos()}")
        if tag == "style":
            self.found.append(f"<style> element: {self.getpos()}")
        for name, _value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…> at {self.getpos()}")
            if name == "style":
                self.found.append(f"<{tag} style=…> at {self.getpos()}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def head(branch):
    return factories.staff(
        Role.BRANCH_HEAD, Role.COMPLIANCE_OFFICER, branch=branch, username="head1"
    )


@pytest.fixture
def paying(manager, product, cast):
    loan = factories.LoanFactory(account_manager=manager, product=product, amount=800_000)
    return prepare_to_leave(advance(loan, LoanState.DISBURSEMENT, cast), cast)


def pages(loan, paying) -> dict[str, list[str]]:
    """The main pages of each kind of user, by username."""
    detail = f"/loans/{loan.pk}/"
    return {
        "manager1": [
            "/loans/mine/",
            "/loans/",
            detail,
            "/loans/new/borrower/",
            "/loans/new/",
            f"/loans/{loan.pk}/records/interviews/",
            f"/loans/{loan.pk}/actions/application_edit/",
            "/notifications/",
        ],
        "reviewer1": ["/loans/queue/", detail],
        "officer1": ["/loans/queue/", f"/loans/{paying.pk}/"],
        "head1": ["/loans/overview/", "/loans/deviations/", "/loans/reference-changes/", detail],
    }


def test_every_main_page_carries_the_policy_and_no_inline_code(loan, paying, cast, head):
    people = {u.username: u for u in (cast.manager, cast.reviewer, cast.officer, head)}
    checked = 0
    for username, paths in pages(loan, paying).items():
        client = signed_in(people[username])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            policy = response["Content-Security-Policy"]
            for directive in REQUIRED:
                assert directive in policy, (path, directive)
            assert "unsafe-inline" not in policy
            assert inline_code(response.content.decode()) == [], (username, path)
            checked += 1
    assert checked >= 15


def test_the_login_page_the_reveal_page_and_the_api_docs_have_no_inline_code(client, loan, manager):
    login = client.get("/accounts/login/")
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"]
    assert inline_code(login.content.decode()) == []
    client.force_login(manager)
    shown = client.post(f"/loans/{loan.pk}/reveal/", {"field": "id_number"})
    assert shown.status_code == 200
    assert inline_code(shown.content.decode()) == []
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert inline_code(docs.content.decode()) == []


def test_the_inline_code_finder_finds_inline_code():
    html = '<script>x()</script><a onclick="x()">a</a><p style="color:red"></p><script src="/a.js">'
    assert len(inline_code(html)) == 3


def test_no_template_holds_an_inline_script_or_handler():
    """Also the templates no test renders: a <script> names its src, no attribute is on*=."""
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script>" not in text, template
        for handler in (" onclick=", " onchange=", " onsubmit=", " onload="):
            assert handler not in text, template
        assert " style=" not in text, template


@pytest.mark.parametrize(
    "module", ["config.settings.local", "config.settings.test", "config.settings.production"]
)
def test_every_settings_module_sends_the_policy(module):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "assert 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE; "
        "d = s.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
        "assert d['frame-ancestors'] == [\"'none'\"] and d['object-src'] == [\"'none'\"]; "
        "assert \"'unsafe-inline'\" not in d['script-src'] + d['style-src']"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": module,
        "SECRET_KEY": "a-long-random-secret-key-for-this-test-only-0123456789abcdef",
        "AUDIT_HMAC_KEY": "an-audit-key-for-this-test-only-0123456789abcdef",
        "ALLOWED_HOSTS": "loanflow.example",
        "DATABASE_URL": "sqlite:///:memory:",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
