"""The security event log: logins, failures, logouts, refusals, admin changes, lockouts, the second
factor, API tokens, throttling, expired sessions and reveals of personal data, each a line on
``loanflow.security`` with the user, the client's address, the request id and the user agent."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import RevokedBecause
from accounts.tokens import token_issue, token_revoke, tokens_revoke_all
from config.log_format import ContextFilter, JsonFormatter
from config.security_log import security_event
from loans.journeys import prepare_to_leave
from loans.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="loanflow.security")
    return lambda kind=None: [
        r for r in caplog.records if r.name == "loanflow.security" and kind in (None, r.event)
    ]


@pytest.fixture
def manager_with_password(manager):
    manager.set_password(PASSWORD)
    manager.save()
    return manager


BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux) Test", "HTTP_X_REQUEST_ID": "req-sec-1"}


def test_a_login_is_logged_with_user_address_request_id_and_user_agent(
    client, manager_with_password, events
):
    client.post(
        "/accounts/login/",
        {"username": "manager1", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.10",
        **BROWSER,
    )

    [login] = events("login")
    assert login.levelname == "INFO"
    assert login.outcome == "success"
    assert login.username == "manager1"
    assert login.user_id == manager_with_password.pk
    assert login.address == "192.0.2.10"
    assert login.request_id == "req-sec-1"
    assert login.user_agent == "Mozilla/5.0 (X11; Linux) Test"
    assert login.path == "/accounts/login/"


def test_a_failed_login_is_logged_with_the_name_tried_and_never_the_password(
    client, manager_with_password, events
):
    client.post("/accounts/login/", {"username": "manager1", "password": "wrong-guess-99"})

    [failed] = events("login_failed")
    assert failed.levelname == "WARNING"
    assert failed.outcome == "failure"
    assert failed.attempted_username == "manager1"
    assert failed.user_id is None
    line = JsonFormatter().format(failed)
    assert "wrong-guess-99" not in line
    assert json.loads(line)["event"] == "login_failed"


def test_a_logout_is_logged(client, manager, events):
    client.force_login(manager)

    client.post("/accounts/logout/")

    [logout] = events("logout")
    assert logout.username == "manager1"


def test_the_address_is_the_one_the_trusted_proxy_saw(
    client, manager_with_password, events, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"username": "manager1", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7",  # the client wrote the first itself
    )

    assert events("login")[0].address == "198.51.100.7"


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(
    client, manager_with_password, events, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    client.post(
        "/accounts/login/",
        {"username": "manager1", "password": "wrong"},
        REMOTE_ADDR="192.0.2.44",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert events("login_failed")[0].address == "192.0.2.44"


def test_a_page_answered_403_is_logged_as_access_denied(client, manager, events):
    client.force_login(manager)

    response = client.get("/loans/deviations/", **BROWSER)

    assert response.status_code == 403
    [denied] = events("access_denied")
    assert denied.username == "manager1"
    assert denied.path == "/loans/deviations/"
    assert denied.request_id == "req-sec-1"


@pytest.mark.django_db(transaction=True)  # the deviation commits while the request is served
def test_an_api_step_refused_for_the_role_is_logged_once_as_step_refused(
    client, loan, cast, reviewer, events
):
    client.force_login(reviewer)
    prepare_to_leave(loan, cast)

    response = client.post(
        f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/",
        {},
        content_type="application/json",
        **BROWSER,
    )

    assert response.status_code == 403
    [refused] = events("step_refused")
    assert refused.username == "reviewer1"
    assert refused.step == "start_site_visit"
    assert refused.refusal == "wrong_role"
    assert refused.deviation_id == response.json()["deviation_id"]
    assert refused.request_id == "req-sec-1"
    assert events("access_denied") == []


def test_a_step_refused_for_missing_records_is_no_security_event(
    client, loan, manager, events, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/loans/{loan.pk}/transitions/start_site_visit/",
            {},
            content_type="application/json",
        )

    assert response.status_code == 409
    assert events("step_refused") == events("access_denied") == []


def test_an_admin_change_is_logged_with_the_object_and_what_changed(admin_client, events):
    branch = factories.BranchFactory(code="B77", name="Hill Office")

    response = admin_client.post(
        f"/admin/loans/branch/{branch.pk}/change/",
        {"code": "B77", "name": "Hill Office (new)"},
    )

    entry = LogEntry.objects.filter(action_flag=CHANGE).first()
    if entry is None:  # the form wants more fields than we sent: log it as the admin would
        pytest.fail(f"the admin did not save: {response.status_code}")
    [change] = events("admin_change")
    assert change.action == "changed"
    assert change.object_type == "loans.branch"
    assert change.object_id == str(branch.pk)
    assert change.username == "admin"


def test_other_features_log_their_events_with_one_call(rf, manager, events):
    request = rf.get("/loans/1/", HTTP_USER_AGENT="curl/8")
    request.user = manager

    security_event("personal_data_revealed", request=request, field="id_number", loan_id=1)

    [revealed] = events("personal_data_revealed")
    assert (revealed.username, revealed.field, revealed.loan_id) == ("manager1", "id_number", 1)
    assert revealed.user_agent == "curl/8"
    with pytest.raises(ValueError, match="may not be named"):
        security_event("token_used", request=request, username="someone-else")


def test_a_security_line_is_one_json_object_for_the_log_store(
    client, manager_with_password, events
):
    client.post("/accounts/login/", {"username": "manager1", "password": PASSWORD}, **BROWSER)
    record = events("login")[0]
    ContextFilter().filter(record)

    line = json.loads(JsonFormatter().format(record))

    assert line["logger"] == "loanflow.security"
    assert {k: line[k] for k in ("event", "outcome", "username", "request_id")} == {
        "event": "login",
        "outcome": "success",
        "username": "manager1",
        "request_id": "req-sec-1",
    }


# --- the events the features raise ----------------------------------------------------------

STAFF_PASSWORD = "test-password"  # the factories' password


def log_in(client, username, password=STAFF_PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def code_of(device, *, steps_ahead=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step):06d}"


@pytest.fixture
def production_mfa(settings):
    settings.MFA_REQUIRED_ROLES = list(settings.PRIVILEGED_ROLES)


@pytest.fixture
def fresh_counters():
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def test_the_login_that_reaches_the_limit_and_each_one_after_are_logged_as_locked_out(
    client, manager, events
):
    for _ in range(4):
        log_in(client, "manager1", "wrong-password", REMOTE_ADDR="192.0.2.5")
    assert events("locked_out") == []

    log_in(client, "manager1", "wrong-password", REMOTE_ADDR="192.0.2.5")

    [locked] = events("locked_out")
    assert locked.levelname == "WARNING"
    assert (locked.attempted_username, locked.failures) == ("manager1", 5)
    assert (locked.address, locked.user_id) == ("192.0.2.5", None)
    assert log_in(client, "manager1", REMOTE_ADDR="192.0.2.5").status_code == 403
    assert len(events("locked_out")) == 2
    assert events("locked_out")[1].failures == 6  # each attempt while locked counts too
    assert "password" not in json.loads(JsonFormatter().format(events("locked_out")[1]))


def test_an_administrator_lifting_a_lockout_is_logged_as_unlocked(client, manager, events):
    for _ in range(5):
        log_in(client, "manager1", "wrong-password")
    admin = factories.staff(Role.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    client.post(
        reverse("admin:loans_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [manager.pk]},
    )

    [unlocked] = events("unlocked")
    assert (unlocked.username, unlocked.target_username) == ("root", "manager1")
    assert unlocked.target_user_id == manager.pk


def test_wrong_codes_are_logged_as_mfa_failed_and_the_lockout_once(
    client, approver, production_mfa, events
):
    TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    log_in(client, "approver3")

    for _ in range(5):
        client.post(reverse("accounts:mfa-verify"), {"code": "123456"})

    failed = events("mfa_failed")
    assert len(failed) == 5
    assert {(f.username, f.stage, f.outcome) for f in failed} == {
        ("approver3", "sign_in", "failure")
    }
    [locked] = events("locked_out")
    assert locked.attempted_username == "approver3"
    assert events("mfa_verified") == []
    assert all("123456" not in JsonFormatter().format(r) for r in events())


def test_the_right_code_is_logged_as_mfa_verified(client, approver, production_mfa, events):
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    log_in(client, "approver3")

    client.post(reverse("accounts:mfa-verify"), {"code": code_of(device), "next": "/"})

    [verified] = events("mfa_verified")
    assert (verified.username, verified.device, verified.outcome) == (
        "approver3",
        "authenticator",
        "success",
    )
    assert events("mfa_failed") == []


def test_enrolment_logs_the_wrong_code_the_device_the_backup_codes_and_the_removal(
    client, manager, events
):
    client.force_login(manager)
    client.get(reverse("accounts:mfa-enrol"))
    device = TOTPDevice.objects.get(user=manager, confirmed=False)

    client.post(reverse("accounts:mfa-enrol"), {"code": "000000"})
    [failed] = events("mfa_failed")
    assert failed.stage == "enrolment"

    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # past the device's delay
        client.post(reverse("accounts:mfa-enrol"), {"code": code_of(device)})
    [enrolled] = events("mfa_enrolled")
    assert (enrolled.username, enrolled.device) == ("manager1", "authenticator")
    [codes] = events("mfa_backup_codes_issued")
    assert codes.count == 10
    assert len(events("mfa_verified")) == 1

    client.post(reverse("accounts:mfa-backup-codes"))
    assert len(events("mfa_backup_codes_issued")) == 2
    client.post(reverse("accounts:mfa-remove"))
    [removed] = events("mfa_removed")
    assert removed.username == "manager1"


def test_a_token_issued_used_and_revoked_is_logged_by_id_and_prefix_never_the_key(manager, events):
    issued = token_issue(user=manager, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")

    [logged] = events("token_issued")
    assert (logged.username, logged.token_id, logged.token_prefix, logged.token_name) == (
        "manager1",
        issued.token.pk,
        issued.token.prefix,
        "ci",
    )
    assert client.get("/api/v1/loans/").status_code == 200
    assert client.get("/api/v1/loans/").status_code == 200
    [used] = events("token_used")  # as often as its last use is stamped, not per request
    assert (used.username, used.token_id, used.path) == (
        "manager1",
        issued.token.pk,
        "/api/v1/loans/",
    )

    token_revoke(token=issued.token, because=RevokedBecause.OWNER)
    token_revoke(token=issued.token, because=RevokedBecause.OWNER)  # revoked already
    [revoked] = events("token_revoked")
    assert (revoked.token_id, revoked.reason) == (issued.token.pk, "owner")
    assert all(issued.key not in JsonFormatter().format(r) for r in events())


def test_revoking_every_token_of_a_user_is_one_event_with_the_reason(manager, events):
    token_issue(user=manager, name="one")
    token_issue(user=manager, name="two")

    tokens_revoke_all(user=manager, because=RevokedBecause.PASSWORD_CHANGED)

    [revoked] = events("token_revoked")
    assert (revoked.username, revoked.count, revoked.reason) == ("manager1", 2, "password_changed")


def test_a_wrong_token_is_logged_as_rejected_with_its_prefix_at_most(
    manager, events, fresh_counters
):
    issued = token_issue(user=manager, name="old")
    token_revoke(token=issued.token, because=RevokedBecause.OWNER)
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert client.get("/api/v1/loans/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token not-one-of-ours-secret")
    assert client.get("/api/v1/loans/").status_code == 401

    revoked, foreign = events("token_rejected")
    assert (revoked.token_prefix, revoked.user_id, revoked.outcome) == (
        issued.token.prefix,
        None,
        "failure",
    )
    assert foreign.token_prefix == ""
    lines = [JsonFormatter().format(r) for r in events("token_rejected")]
    assert all(issued.key not in line and "not-one-of-ours" not in line for line in lines)


def test_a_throttled_request_is_logged_once(manager, settings, events, fresh_counters):
    settings.API_THROTTLE_ANON_RATE = "1/minute"
    client = APIClient()
    assert client.get("/api/v1/policy/", REMOTE_ADDR="192.0.2.9").status_code == 401

    response = client.get("/api/v1/policy/", REMOTE_ADDR="192.0.2.9")

    assert response.status_code == 429
    [throttled] = events("throttled")
    assert (throttled.address, throttled.path, throttled.levelname) == (
        "192.0.2.9",
        "/api/v1/policy/",
        "WARNING",
    )
    assert 0 < throttled.wait <= 60


def test_a_session_ended_by_the_idle_limit_is_logged_as_expired(client, manager, events):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "manager1")
        clock.shift(timedelta(minutes=16))

        client.get("/loans/mine/")

    [expired] = events("session_expired")
    assert (expired.username, expired.reason) == ("manager1", "idle")
    assert len(events("logout")) == 1


@pytest.fixture
def personal_loan(loan):
    loan.borrower.phone = "13812345678"
    loan.borrower.save(update_fields=["phone"])
    return loan


def test_a_reveal_is_logged_with_the_loan_and_the_fact_never_the_value(
    client, personal_loan, manager, events
):
    client.force_login(manager)

    response = client.post(reverse("loans:reveal", args=[personal_loan.pk]), {"field": "phone"})

    assert response.status_code == 200
    [revealed] = events("personal_data_revealed")
    assert (revealed.username, revealed.loan_id, revealed.loan_reference, revealed.field) == (
        "manager1",
        personal_loan.pk,
        personal_loan.reference,
        "phone",
    )
    assert revealed.channel == "web"
    assert "13812345678" not in JsonFormatter().format(revealed)


def test_a_refused_reveal_is_logged_with_the_refusal(
    client, personal_loan, reviewer, events, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("loans:reveal", args=[personal_loan.pk]), {"field": "phone"})

    [refused] = events("personal_data_reveal_refused")
    assert (refused.username, refused.loan_id, refused.field, refused.refusal) == (
        "reviewer1",
        personal_loan.pk,
        "phone",
        "wrong_role",
    )
    assert refused.outcome == "failure"
    assert events("step_refused")[0].refusal == "wrong_role"  # the engine's, as for any step
    assert events("personal_data_revealed") == []
    assert "13812345678" not in JsonFormatter().format(refused)
