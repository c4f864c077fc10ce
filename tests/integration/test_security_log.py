"""The security event log: logins, failures, logouts, refusals and admin changes, each a line on
``loanflow.security`` with the user, the client's address, the request id and the user agent."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from config.log_format import ContextFilter, JsonFormatter
from config.security_log import security_event
from loans.journeys import prepare_to_leave
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
