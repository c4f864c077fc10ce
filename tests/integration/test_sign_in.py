"""Getting in: lockout after failed logins, the second factor, session limits, passwords, reset.

Everything over HTTP through Django's test client, as a browser would post the forms.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from loans.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "test-password"
LOGIN = "/accounts/login/"


def log_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step):06d}"


@pytest.fixture
def superuser(db):
    return factories.staff(
        Role.ADMINISTRATOR, branch=None, username="admin", is_staff=True, is_superuser=True
    )


@pytest.fixture
def production_mfa(settings):
    settings.MFA_REQUIRED_ROLES = list(settings.PRIVILEGED_ROLES)


# --- lockout --------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(client, manager, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        assert log_in(client, "manager1", "wrong-password").status_code in (200, 403)

    response = log_in(client, "manager1")

    assert response.status_code == 403
    page = response.content.decode()
    assert "This account is locked." in page
    assert "Ask an administrator to unlock the account" in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(client, manager, co_investigator):
    for _ in range(5):
        log_in(client, "manager1", "wrong-password")

    other_user = log_in(client, "manager2")
    assert other_user.status_code == 302
    client.logout()
    same_user_elsewhere = log_in(client, "manager1", REMOTE_ADDR="10.9.8.7")
    assert same_user_elsewhere.status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock(client, manager):
    for _ in range(4):
        log_in(client, "manager1", "wrong-password")

    assert log_in(client, "manager1").status_code == 302


def test_an_administrator_unlocks_a_locked_user_and_it_is_logged(client, manager, superuser):
    for _ in range(5):
        log_in(client, "manager1", "wrong-password")
    assert log_in(client, "manager1").status_code == 403
    admin = factories.staff(Role.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        reverse("admin:loans_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [manager.pk]},
        follow=True,
    )

    assert "1 staff member unlocked." in response.content.decode()
    assert not AccessAttempt.objects.filter(username="manager1").exists()
    entry = LogEntry.objects.get(object_id=str(manager.pk))
    assert (entry.user, entry.change_message) == (admin, "Unlocked sign-in after a lockout.")
    client.logout()
    assert log_in(client, "manager1").status_code == 302


# --- the second factor ------------------------------------------------------------------------


def test_without_required_roles_privileged_users_log_in_with_a_password_and_the_page_says_so(
    client, approver
):
    page = client.get(LOGIN).content.decode()
    assert "a second sign-in step (an authenticator app) is optional here" in page

    response = log_in(client, "approver3", follow=True)

    assert response.redirect_chain[-1][0] == "/loans/queue/"


def test_a_privileged_user_must_enrol_before_any_page_then_uses_the_code(
    client, approver, production_mfa
):
    assert "is optional here" not in client.get(LOGIN).content.decode()
    response = log_in(client, "approver3")
    assert client.get("/loans/queue/")["Location"].startswith(reverse("accounts:mfa-enrol"))
    api = client.get("/api/v1/loans/")
    assert (api.status_code, api.json()["code"]) == (403, "second_factor_required")

    enrol = client.get(response["Location"], follow=True)
    assert "<svg" in enrol.content.decode()
    device = TOTPDevice.objects.get(user=approver, confirmed=False)
    assert enrol.context["secret"].replace(" ", "") in enrol.content.decode().replace(" ", "")
    done = client.post(reverse("accounts:mfa-enrol"), {"code": code_of(device), "next": "/"})

    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get("/loans/queue/").status_code == 200
    assert client.get("/api/v1/loans/").status_code == 200

    client.logout()
    log_in(client, "approver3")
    assert client.get("/loans/queue/")["Location"].startswith(reverse("accounts:mfa-verify"))
    verified = client.post(
        reverse("accounts:mfa-verify"), {"code": code_of(device, steps_ahead=1), "next": "/"}
    )
    assert verified["Location"] == "/"
    assert client.get("/loans/queue/").status_code == 200


def test_a_backup_code_works_once(client, approver, production_mfa):
    log_in(client, "approver3")
    client.get(reverse("accounts:mfa-enrol"))
    device = TOTPDevice.objects.get(user=approver)
    codes = client.post(reverse("accounts:mfa-enrol"), {"code": code_of(device)}).context["codes"]
    client.logout()

    log_in(client, "approver3")
    assert client.post(reverse("accounts:mfa-verify"), {"code": codes[0]}).status_code == 302
    client.logout()
    log_in(client, "approver3")
    again = client.post(reverse("accounts:mfa-verify"), {"code": codes[0]})
    assert "That code is not right" in again.content.decode()


def test_a_wrong_code_does_not_confirm_the_enrolment(client, approver, production_mfa):
    log_in(client, "approver3")
    client.get(reverse("accounts:mfa-enrol"))

    wrong = client.post(reverse("accounts:mfa-enrol"), {"code": "000000"})

    assert "does not match" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=approver, confirmed=True).exists()
    assert client.get("/loans/queue/").status_code == 302


def test_an_unverified_session_cannot_replace_the_authenticator(client, approver, production_mfa):
    TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    log_in(client, "approver3")

    response = client.get(reverse("accounts:mfa-enrol"))

    assert response["Location"].startswith(reverse("accounts:mfa-verify"))
    assert TOTPDevice.objects.filter(user=approver).count() == 1


def test_wrong_codes_count_as_failed_logins_and_lock_out(client, approver, production_mfa):
    TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    log_in(client, "approver3")
    for _ in range(4):
        wrong = client.post(reverse("accounts:mfa-verify"), {"code": "123456"})
        assert wrong.status_code == 200

    response = client.post(reverse("accounts:mfa-verify"), {"code": "123456"})

    assert response.status_code == 403
    assert "This account is locked." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_in_again_does_not_reset_the_count_of_wrong_codes(client, approver, production_mfa):
    TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    log_in(client, "approver3")
    for _ in range(3):
        client.post(reverse("accounts:mfa-verify"), {"code": "123456"})
    client.logout()
    log_in(client, "approver3")
    client.post(reverse("accounts:mfa-verify"), {"code": "123456"})

    response = client.post(reverse("accounts:mfa-verify"), {"code": "123456"})

    assert "This account is locked." in response.content.decode()


def test_a_completed_login_clears_the_count(client, manager):
    for _ in range(4):
        log_in(client, "manager1", "wrong-password")
    log_in(client, "manager1")
    client.logout()
    for _ in range(4):
        log_in(client, "manager1", "wrong-password")

    assert log_in(client, "manager1").status_code == 302


def test_an_optional_user_who_enrolled_is_asked_for_the_code_too(client, manager):
    TOTPDevice.objects.create(user=manager, name="authenticator", confirmed=True)

    log_in(client, "manager1")

    assert client.get("/loans/mine/")["Location"].startswith(reverse("accounts:mfa-verify"))


def test_a_superuser_counts_as_an_administrator(client, superuser, production_mfa):
    log_in(client, "admin")
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:mfa-enrol"))


# --- session limits ---------------------------------------------------------------------------


def test_a_session_ends_after_fifteen_idle_minutes(client, manager):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "manager1")
        clock.shift(timedelta(minutes=14))
        assert client.get("/loans/mine/").status_code == 200
        clock.shift(timedelta(minutes=14))  # 28 minutes after login, 14 after the last request
        assert client.get("/loans/mine/").status_code == 200
        clock.shift(timedelta(minutes=15, seconds=30))

        response = client.get("/loans/mine/", follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "signed out after 15 minutes without activity" in response.content.decode()


def test_a_session_ends_eight_hours_after_login_however_active(client, manager):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "manager1")
        for _ in range(8 * 6 - 1):  # a request every ten minutes
            clock.shift(timedelta(minutes=10))
            assert client.get("/loans/mine/").status_code == 200
        clock.shift(timedelta(minutes=10, seconds=1))

        response = client.get("/loans/mine/", follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "reached its limit of 8 hours" in response.content.decode()


def test_the_limits_are_settings(client, manager, settings):
    settings.SESSION_IDLE_MINUTES = 1
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "manager1")
        clock.shift(timedelta(seconds=61))
        assert client.get("/loans/mine/").status_code == 302


def test_an_api_session_that_ended_answers_401(client, manager):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "manager1")
        clock.shift(timedelta(minutes=16))
        response = client.get("/api/v1/loans/")

    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short-pw1", "manager1bank", "password1234", "123456789012345"],
    ids=["under-12", "like-the-username", "common", "numeric"],
)
def test_weak_passwords_are_refused(manager, password):
    manager.first_name = "manager1bank"
    with pytest.raises(ValidationError):
        validate_password(password, user=manager)


def test_a_long_uncommon_password_is_accepted(manager):
    validate_password("river-lantern-okra-42", user=manager)


def test_the_password_form_enforces_the_rules(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Short-1x", "new_password2": "Short-1x"},
    )
    assert "at least 12 characters" in response.content.decode()


# --- password reset ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.APPROVER, Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD, Role.ADMINISTRATOR]
)
def test_privileged_roles_get_no_reset_mail_and_the_page_says_the_same(client, branch, role):
    factories.staff(role, branch=branch, username="privileged", email="p@bank.example")
    factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="plain", email="m@bank.example")

    privileged = client.post(reverse("password_reset"), {"email": "p@bank.example"}, follow=True)
    nobody = client.post(reverse("password_reset"), {"email": "x@bank.example"}, follow=True)

    assert mail.outbox == []
    assert privileged.redirect_chain == nobody.redirect_chain
    assert "If an account that may reset" in privileged.content.decode()
    client.post(reverse("password_reset"), {"email": "m@bank.example"})
    assert [message.to for message in mail.outbox] == [["m@bank.example"]]


def test_a_superuser_gets_no_reset_mail(client, superuser):
    superuser.email = "root@bank.example"
    superuser.save()
    client.post(reverse("password_reset"), {"email": "root@bank.example"})
    assert mail.outbox == []
