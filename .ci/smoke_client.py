"""The production smoke test's client: what people do, over HTTP, against a running stack.

Run by .ci/smoke-production, which starts gunicorn, a Celery worker and beat under production
settings and passes their environment on. In order:

1. HTTPS is enforced: a plain request is redirected, a secure one carries HSTS.
2. Each demo user logs in with the form and lands on their role's page; that page, the login page,
   the admin's and the API docs load with every static asset they reference (hashed by the
   manifest, served by WhiteNoise), and each source map a script or stylesheet names. Production
   asks approvers, compliance officers, branch heads and administrators for a second factor: as a
   person would, each is sent to enrol an authenticator, reads the key typed out on the page,
   computes the app's code from it and keeps the backup codes shown; a second login then passes
   with the next code of the app (head1) and with a backup code (admin).
3. An account manager performs a transition through the API with a token from ``issue_token``.
4. The reminder of the stage entered is delivered by the worker: its timer is moved to remind
   now (time travel, the one write that is not the application's own), beat's next sweep has the
   worker create the notification and relay its e-mail, and the worker sends it — it shows in the
   recipient's inbox through the API and lands as a file in EMAIL_FILE_PATH.

The TLS-terminating proxy of a real deployment is played by the client (``TLSProxy``): it asks
for https:// and sends plain HTTP with ``X-Forwarded-Proto: https``, which production trusts when
told to (TRUST_PROXY_SSL_HEADER=true, set by .ci/smoke-production). So the production defaults
stay on: the HTTPS redirect, HSTS, Secure cookies and the CSRF origin check for HTTPS.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import re
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "loanflow-demo"  # noqa: S105 - the demo users' documented password
LANDING = {
    "manager1": "/loans/mine/",
    "manager2": "/loans/mine/",
    "manager9": "/loans/mine/",
    "reviewer1": "/loans/queue/",
    "approver1": "/loans/queue/",
    "approver3": "/loans/queue/",
    "officer1": "/loans/queue/",
    "compliance1": "/loans/deviations/",
    "head1": "/loans/overview/",
    "admin": "/admin/",
}
TRANSITION = "start_site_visit"  # intake → site_visit: the account manager is reminded
ACTOR = "manager1"
ENROL, VERIFY = "/accounts/mfa/enrol/", "/accounts/mfa/verify/"
SECRET = re.compile(r'data-testid="secret">([A-Z2-7 ]+)<')
BACKUP_CODE = re.compile(r"<li>(\d{4} \d{4})</li>")
HASHED = re.compile(r"\.[0-9a-f]{12}\.")
SOURCE_MAP = re.compile(rb"sourceMappingURL=([^\s*]+)")


class SmokeError(AssertionError):
    pass


def expect(condition: object, message: str) -> None:
    if not condition:
        raise SmokeError(message)


class TLSProxy(HTTPAdapter):
    """Plays the proxy that terminates TLS in front of gunicorn: a request for https://host goes
    to http://host with ``X-Forwarded-Proto: https``; the client sees HTTPS (Secure cookies,
    https origins), the application sees what it would behind the proxy."""

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        plain = request.copy()
        plain.url = "http://" + str(request.url).removeprefix("https://")
        plain.headers["X-Forwarded-Proto"] = "https"
        response = super().send(plain, *args, **kwargs)
        response.url, response.request = str(request.url), request
        return response


def totp(key: bytes, *, steps_ahead: int = 0, step: int = 30) -> str:
    """The code an authenticator app shows (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps)."""
    counter = int(time.time() // step) + steps_ahead
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"link": "href", "script": "src", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value and "/static/" in value:
                self.urls.append(value)


class Client:
    def __init__(self, base: str) -> None:
        self.origin = "https://" + urlsplit(base).netloc
        self.base = self.origin
        self.http = requests.Session()
        self.http.mount(self.origin, TLSProxy())
        self.checked_assets: set[str] = set()
        self.keys: dict[str, bytes] = {}  # each enrolled user's authenticator key
        self.backup_codes: dict[str, list[str]] = {}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(urljoin(self.base, path), timeout=30, **kwargs)

    def login(self, username: str) -> requests.Response:
        self.http.cookies.clear()
        page = self.get("/accounts/login/")
        expect(page.status_code == 200, f"login page: {page.status_code}")
        self.page_assets("/accounts/login/", page.text)
        token = self.http.cookies.get("csrftoken")
        expect(token, "the login page set no CSRF cookie")
        return self.http.post(
            urljoin(self.base, "/accounts/login/"),
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Origin": self.origin, "Referer": self.origin + "/accounts/login/"},
            timeout=30,
        )

    def post_form(self, url: str, data: dict[str, str]) -> requests.Response:
        token = self.http.cookies.get("csrftoken")
        expect(token, f"no CSRF cookie to post {url}")
        return self.http.post(
            urljoin(self.base, url),
            data={**data, "csrfmiddlewaretoken": str(token)},
            headers={"Origin": self.origin, "Referer": urljoin(self.base, url)},
            timeout=30,
        )

    def second_factor(self, username: str, response: requests.Response) -> requests.Response:
        """Enrol or pass the second factor where the login led there, as the person would."""
        where = urlsplit(response.url)
        following = parse_qs(where.query).get("next", ["/"])[0]
        if where.path == ENROL:
            found = SECRET.search(response.text)
            if found is None:
                raise SmokeError(f"{username}: the enrolment page shows no key to type")
            typed = found.group(1).replace(" ", "")
            key = base64.b32decode(typed + "=" * (-len(typed) % 8))
            expect("<svg" in response.text, f"{username}: the enrolment page shows no QR code")
            answer = self.post_form(response.url, {"code": totp(key), "next": following})
            codes = BACKUP_CODE.findall(answer.text)
            expect(len(codes) == 10, f"{username}: enrolled, but {len(codes)} backup codes shown")
            self.keys[username], self.backup_codes[username] = key, codes
            print(f"ok   {username:<12} enrolled an authenticator, kept 10 backup codes")
            return self.get(following)
        if where.path == VERIFY:
            if username in self.keys:
                code = totp(self.keys[username], steps_ahead=1)  # the code after the enrolment's
            else:
                code = self.backup_codes[username].pop()
            return self.post_form(response.url, {"code": code, "next": following})
        return response

    def page_assets(self, page: str, html: str) -> int:
        parser = Assets()
        parser.feed(html)
        expect(parser.urls, f"{page} references no static file")
        for url in parser.urls:
            if url not in self.checked_assets:
                self.asset(page, url)
                self.checked_assets.add(url)
        return len(parser.urls)

    def asset(self, page: str, url: str) -> None:
        response = self.get(url)
        expect(response.status_code == 200, f"{page}: {url} answered {response.status_code}")
        expect(response.content, f"{page}: {url} is empty")
        expect(HASHED.search(url), f"{page}: {url} is not a manifest (hashed) name")
        expect(
            "immutable" in response.headers.get("Cache-Control", ""),
            f"{page}: {url} is not cached as immutable: {response.headers.get('Cache-Control')}",
        )
        if url.endswith((".js", ".css")):
            for name in SOURCE_MAP.findall(response.content):
                source_map = urljoin(url, name.decode())
                answer = self.get(source_map)
                expect(answer.status_code == 200, f"{url} names {source_map}: {answer.status_code}")


def manage(*args: str) -> str:
    """A management command in the stack's environment (inherited from smoke-production)."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_for(what: str, probe: Callable[[], Any], *, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(1)
    raise SmokeError(f"timed out after {timeout:.0f}s waiting for {what}")


def check_https_is_enforced(base: str) -> None:
    plain = requests.get(urljoin(base, "/accounts/login/"), allow_redirects=False, timeout=30)
    expect(plain.status_code == 301, f"plain HTTP answered {plain.status_code}, not a redirect")
    expect(plain.headers["Location"].startswith("https://"), "the redirect is not to HTTPS")
    secure = requests.get(
        urljoin(base, "/accounts/login/"), headers={"X-Forwarded-Proto": "https"}, timeout=30
    )
    expect("Strict-Transport-Security" in secure.headers, "no HSTS header on a secure response")
    print("ok   HTTPS enforced: plain HTTP redirected, HSTS on secure responses")


SECOND_FACTOR = {"approver1", "approver3", "compliance1", "head1", "admin"}


def check_landing_pages(client: Client) -> None:
    for username, landing in LANDING.items():
        response = client.login(username)
        expect(response.status_code == 200, f"{username}: logging in ended {response.status_code}")
        at = urlsplit(response.url).path
        expect(
            (at == ENROL) == (username in SECOND_FACTOR),
            f"{username}: after the password, at {at} (a second factor is required: "
            f"{username in SECOND_FACTOR})",
        )
        response = client.second_factor(username, response)
        path = urlsplit(response.url).path
        expect(path == landing, f"{username} landed on {path}, not {landing}")
        expect(client.http.cookies.get("sessionid"), f"{username}: no session cookie")
        count = client.page_assets(path, response.text)
        print(f"ok   {username:<12} {path:<20} 200, {count} static files")
    anonymous = requests.Session()
    anonymous.mount(client.origin, TLSProxy())
    schema = anonymous.get(urljoin(client.base, "/api/schema/"), timeout=30)
    expect(schema.status_code == 401, f"/api/schema/ without a login: {schema.status_code}")
    docs = client.get("/api/docs/")  # as admin, the last to log in
    expect(docs.status_code == 200, f"/api/docs/: {docs.status_code}")
    count = client.page_assets("/api/docs/", docs.text)
    print(f"ok   {'admin':<12} {'/api/docs/':<20} 200, {count} static files (401 without login)")
    for username, how in (("head1", "the app's next code"), ("admin", "a backup code")):
        response = client.login(username)
        expect(urlsplit(response.url).path == VERIFY, f"{username}: not asked for the code")
        if username == "admin":
            client.keys.pop(username)
        response = client.second_factor(username, response)
        path = urlsplit(response.url).path
        expect(path == LANDING[username], f"{username}: after {how}, at {path}")
        print(f"ok   {username:<12} logged in again with {how}")
    print(f"ok   {len(client.checked_assets)} distinct static files and their source maps: 200")


def perform_transition(client: Client, token: str) -> dict[str, Any]:
    auth = {"Authorization": f"Token {token}"}
    loans = client.get("/api/v1/loans/?state=intake&page_size=100", headers=auth)
    expect(loans.status_code == 200, f"listing loans: {loans.status_code}")
    in_intake: list[dict[str, Any]] = loans.json()["results"]
    for loan in in_intake:
        options = client.get(f"/api/v1/loans/{loan['id']}/transitions/", headers=auth).json()
        if any(o["name"] == TRANSITION and o["allowed"] for o in options):
            break
    else:
        raise SmokeError(f"{ACTOR} has no loan in intake ready for {TRANSITION}")
    response = client.http.post(
        urljoin(client.base, f"/api/v1/loans/{loan['id']}/transitions/{TRANSITION}/"),
        json={},
        headers={**auth, "Idempotency-Key": f"smoke-{time.time_ns()}"},
        timeout=30,
    )
    expect(response.status_code == 200, f"{TRANSITION}: {response.status_code} {response.text}")
    expect(response.json()["state"] == "site_visit", f"{TRANSITION} left {response.json()}")
    print(f"ok   API: {ACTOR} performed {TRANSITION} on {loan['reference']} -> site_visit")
    return loan


REMIND_NOW = """
from django.utils import timezone
from loans.models import Loan
from workflow import timers
for timer in timers.running(Loan.objects.get(pk={pk})):
    timer.remind_at = timezone.now()
    timer.refresh_next_action()
    timer.save()
    print(timer.pk)
"""


def check_reminder_delivered(client: Client, token: str, loan: dict[str, Any], mail: Path) -> None:
    timer = manage("shell", "-c", REMIND_NOW.format(pk=int(loan["id"])))
    print(f"..   timer {timer} of {loan['reference']} set to remind now; waiting for beat's sweep")
    auth = {"Authorization": f"Token {token}"}

    def in_inbox() -> dict[str, Any] | None:
        inbox = client.get("/api/v1/notifications/", headers=auth).json()["results"]
        found = [n for n in inbox if n["loan"] == loan["id"] and n["kind"] == "reminder"]
        return found[0] if found else None

    started = time.monotonic()
    notification = wait_for("the reminder in the inbox", in_inbox, timeout=90)
    print(f"ok   inbox: {notification['subject']!r} after {time.monotonic() - started:.0f}s")

    def mailed() -> Path | None:
        for path in sorted(mail.glob("*.log")) if mail.is_dir() else []:
            text = path.read_text(encoding="utf-8", errors="replace")
            if notification["subject"] in text and f"{ACTOR}@" in text:
                return path
        return None

    path = wait_for("the reminder's e-mail", mailed, timeout=60)
    print(f"ok   e-mail sent by the worker: {path.name} (after {time.monotonic() - started:.0f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8767")
    parser.add_argument("--mail", required=True, type=Path, help="the stack's EMAIL_FILE_PATH")
    args = parser.parse_args()

    client = Client(args.base)
    try:
        check_https_is_enforced(args.base)
        check_landing_pages(client)
        token = manage("issue_token", ACTOR)
        loan = perform_transition(client, token)
        check_reminder_delivered(client, token, loan, args.mail)
    except (SmokeError, requests.RequestException, subprocess.CalledProcessError) as failure:
        if isinstance(failure, subprocess.CalledProcessError):
            print(failure.stderr, file=sys.stderr)
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
