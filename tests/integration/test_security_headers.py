"""What production's header settings do to a request: the proxy's X-Forwarded-Proto counts only
when trusted; API responses and personal-data pages are never cached."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

NO_STORE = {"no-store", "no-cache", "max-age=0", "private", "must-revalidate"}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_a_forwarded_https_claim_is_ignored_when_the_proxy_header_is_not_trusted(
    client, db, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None

    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_a_forwarded_https_claim_counts_when_the_proxy_header_is_trusted(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.parametrize("path", ["/api/v1/borrowers/", "/api/v1/loans/", "/api/schema/"])
def test_every_api_answer_to_a_signed_in_user_is_not_stored(path, manager):
    api = APIClient()
    api.force_authenticate(manager)

    response = api.get(path)

    assert response.status_code == 200
    assert cache_control(response) >= NO_STORE


def test_api_errors_are_not_stored_either(db):
    anonymous = APIClient().get("/api/v1/borrowers/")
    missing = APIClient().get("/api/v1/no-such-thing/")

    assert anonymous.status_code in {401, 403}
    assert missing.status_code == 404
    assert "no-store" in cache_control(anonymous)
    assert "no-store" in cache_control(missing)


def test_pages_with_personal_data_are_not_stored(client, loan, manager):
    client.force_login(manager)

    for path in ["/loans/", f"/loans/{loan.pk}/", "/notifications/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert cache_control(response) >= NO_STORE, path


def test_the_personal_data_rule_is_for_signed_in_users_only(client, db):
    # An anonymous visitor sees no personal data: the redirect to the login page is left alone.
    redirect = client.get("/loans/")

    assert redirect.status_code == 302
    assert "no-store" not in cache_control(redirect)
