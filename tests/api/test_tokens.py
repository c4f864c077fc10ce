"""API tokens: hashed, expiring, listed and revocable; revoked on a password change and on
deactivation. Throttling per user and per client answers 429 in the usual error body."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, RevokedBecause
from accounts.tokens import digest_of

pytestmark = pytest.mark.django_db


def issue(username: str, *args: str) -> str:
    out = StringIO()
    call_command("issue_token", username, *args, stdout=out)
    return out.getvalue().strip()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_only_a_digest_of_the_token_is_stored(manager):
    key = issue("manager1")

    token = ApiToken.objects.get(user=manager)
    assert key.startswith("lf_")
    assert len(key) > 40
    assert token.digest == digest_of(key)
    assert key not in {token.digest, token.prefix, token.name}
    assert with_token(key).get("/api/v1/loans/").status_code == 200
    assert token.prefix == key[:11]


def test_a_token_stops_working_when_it_expires(manager, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 30
    key = issue("manager1")
    ApiToken.objects.filter(user=manager).update(last_used_at=None)

    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        assert with_token(key).get("/api/v1/loans/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        response = with_token(key).get("/api/v1/loans/")

    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    assert response.json()["detail"] == "Invalid, expired or revoked token."


def test_a_token_lives_no_longer_than_the_maximum(manager, settings):
    settings.API_TOKEN_MAX_LIFETIME_DAYS = 10
    issue("manager1", "--days", "400")
    token = ApiToken.objects.get(user=manager)
    assert token.expires_at - token.created_at == timedelta(days=10)


def test_a_revoked_token_is_refused(client, manager):
    key = issue("manager1")
    client.force_login(manager)
    token = ApiToken.objects.get(user=manager)

    client.post(reverse("accounts:token-revoke", args=[token.pk]))

    token.refresh_from_db()
    assert token.revoked_because == RevokedBecause.OWNER
    assert with_token(key).get("/api/v1/loans/").status_code == 401


def test_nobody_revokes_someone_elses_token(client, manager, outsider):
    issue("manager1")
    token = ApiToken.objects.get(user=manager)
    client.force_login(outsider)

    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_account_page_issues_a_token_once_and_lists_them(client, manager, outsider):
    issue("manager9")
    client.force_login(manager)

    response = client.post(reverse("accounts:security"), {"name": "my script", "lifetime_days": 30})

    key = response.context["issued"].key
    assert key in response.content.decode()
    assert with_token(key).get("/api/v1/loans/").status_code == 200
    listed = client.get(reverse("accounts:security"))
    assert [t.name for t in listed.context["tokens"]] == ["my script"]
    assert key not in listed.content.decode()
    assert key[:11] in listed.content.decode()


def test_changing_the_password_revokes_every_token(client, manager):
    keys = [issue("manager1"), issue("manager1")]
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "test-password",
            "new_password1": "river-lantern-okra-42",
            "new_password2": "river-lantern-okra-42",
        },
    )

    assert response.status_code == 302
    for key in keys:
        assert with_token(key).get("/api/v1/loans/").status_code == 401
    assert set(ApiToken.objects.values_list("revoked_because", flat=True)) == {
        RevokedBecause.PASSWORD_CHANGED
    }


def test_a_password_set_anywhere_revokes_the_tokens(manager):
    key = issue("manager1")
    manager.set_password("river-lantern-okra-42")
    manager.save()
    assert with_token(key).get("/api/v1/loans/").status_code == 401


def test_deactivation_revokes_every_token(manager):
    key = issue("manager1")
    manager.is_active = False
    manager.save()

    assert ApiToken.objects.get().revoked_because == RevokedBecause.DEACTIVATED
    manager.is_active = True
    manager.save()
    assert with_token(key).get("/api/v1/loans/").status_code == 401


def test_saving_the_user_otherwise_keeps_the_tokens(manager):
    key = issue("manager1")
    manager.first_name = "Li"
    manager.save()
    assert with_token(key).get("/api/v1/loans/").status_code == 200


def test_rotate_revokes_the_others(manager):
    old = issue("manager1")
    new = issue("manager1", "--rotate")
    assert with_token(old).get("/api/v1/loans/").status_code == 401
    assert with_token(new).get("/api/v1/loans/").status_code == 200


def test_the_admin_lists_and_revokes_tokens_but_never_shows_the_secret(client, manager):
    from loans.roles import Role
    from tests import factories

    key = issue("manager1")
    admin = factories.staff(Role.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert key[:11] in changelist.content.decode()
    token = ApiToken.objects.get()
    assert (
        digest_of(key)
        not in client.get(
            reverse("admin:accounts_apitoken_change", args=[token.pk])
        ).content.decode()
    )

    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert with_token(key).get("/api/v1/loans/").status_code == 401


# --- the schema and the docs ------------------------------------------------------------------


def test_the_schema_and_docs_need_a_login(client, manager):
    schema = client.get("/api/schema/")
    assert (schema.status_code, schema.json()["code"]) == (401, "not_authenticated")
    assert client.get("/api/docs/")["Location"].startswith("/accounts/login/")
    assert with_token(issue("manager1")).get("/api/schema/").status_code == 200


# --- throttling ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_counters():
    from django.core.cache import caches

    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def test_a_user_over_the_rate_gets_429_in_the_error_body(manager, settings, fresh_counters):
    settings.API_THROTTLE_USER_RATE = "3/minute"
    client = with_token(issue("manager1"))
    for _ in range(3):
        assert client.get("/api/v1/loans/").status_code == 200

    response = client.get("/api/v1/loans/")

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["errors"] == []
    assert body["detail"].startswith("Request was throttled.")
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_rate_counts_per_user(manager, outsider, settings, fresh_counters):
    settings.API_THROTTLE_USER_RATE = "1/minute"
    assert with_token(issue("manager1")).get("/api/v1/loans/").status_code == 200
    assert with_token(issue("manager9")).get("/api/v1/loans/").status_code == 200


def test_anonymous_clients_are_throttled_by_address(settings, fresh_counters):
    settings.API_THROTTLE_ANON_RATE = "2/minute"
    client = APIClient()
    assert client.get("/api/v1/policy/").status_code == 401
    assert client.get("/api/v1/policy/").status_code == 401

    response = client.get("/api/v1/policy/")
    elsewhere = client.get("/api/v1/policy/", REMOTE_ADDR="10.1.2.3")

    assert (response.status_code, response.json()["code"]) == (429, "throttled")
    assert "Retry-After" in response
    assert elsewhere.status_code == 401


def test_while_the_counters_cannot_be_reached_requests_go_through(manager, settings, caplog):
    """Redis down must not take the API with it: the throttle lets requests through, and says so
    in the log (the Redis of this test is a port nothing listens on)."""
    settings.API_THROTTLE_USER_RATE = "1/minute"
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    client = with_token(issue("manager1"))

    answers = [client.get("/api/v1/loans/").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert "the counters cannot be read" in caplog.text
