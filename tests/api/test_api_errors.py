"""Errors Django answers around the views — a body too large, too many fields, a bad Host, an
unknown URL, a missing CSRF token — are JSON in the usual body under /api/, pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.test_api import api, assert_error

pytestmark = pytest.mark.django_db


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def declared(client: Client, path: str, length: int, content_type: str):
    """POST a request that declares ``length`` bytes of body it never sends."""
    return client.generic(
        "POST",
        path,
        CONTENT_LENGTH=str(length),
        CONTENT_TYPE=content_type,
        **{"wsgi.input": Unreadable()},
    )


def test_a_body_declared_above_the_limit_is_a_413_before_it_is_read(manager, settings):
    limit = settings.LOANFLOW_MAX_REQUEST_BYTES

    response = declared(api(manager), "/api/v1/borrowers/", limit + 1, "application/json")

    body = assert_error(response, 413, "request_too_large")
    assert body["detail"] == f"The request body is larger than the limit of {limit} bytes."


def test_an_upload_declared_above_the_limit_on_the_web_is_a_413_page(
    client, manager, loan, settings
):
    client.force_login(manager)
    limit = settings.LOANFLOW_MAX_REQUEST_BYTES

    response = declared(
        client, f"/loans/{loan.pk}/records/documents/", limit + 1, "multipart/form-data; boundary=x"
    )

    assert response.status_code == 413
    assert "Content Too Large" in response.content.decode()


def test_the_limit_leaves_room_for_the_largest_upload(settings):
    assert settings.LOANFLOW_MAX_REQUEST_BYTES > settings.LOANFLOW_MAX_UPLOAD_BYTES


def test_json_above_the_data_limit_is_a_413(manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(manager).post("/api/v1/borrowers/", {"name": "x" * 2000}, format="json")

    assert_error(response, 413, "request_too_large")


def test_a_form_post_above_the_data_limit_on_the_web_is_a_413(client, manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(manager)

    response = client.post("/loans/new/borrower/", {"name": "x" * 2000})

    assert response.status_code == 413


def test_too_many_fields_are_a_400(manager, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = api(manager).post(
        "/api/v1/borrowers/", {f"field{i}": "x" for i in range(20)}, format="multipart"
    )

    body = assert_error(response, 400, "bad_request")
    assert body["detail"] == "The request has too many fields."


def test_a_host_the_site_does_not_serve_is_a_400(manager):
    response = api(manager).get("/api/v1/loans/", HTTP_HOST="evil.example")

    body = assert_error(response, 400, "bad_request")
    assert body["detail"] == "The Host header names no host this site serves."


def test_a_session_write_without_its_csrf_token_is_a_403(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)

    response = client.post("/api/v1/borrowers/", {}, content_type="application/json")

    body = assert_error(response, 403, "permission_denied")
    assert body["detail"].startswith("CSRF Failed")


@pytest.mark.parametrize(
    "path", ["/api/v1/nowhere/", "/api/v1/%2e%2e/%2e%2e/etc/passwd", "/api/v1/loans/-1/"]
)
def test_even_in_development_an_unknown_api_url_is_json(manager, settings, path):
    settings.DEBUG = True  # where Django answers with its technical 404 page

    assert_error(api(manager).get(path), 404, "not_found")


def test_even_in_development_a_bad_host_under_the_api_is_json(manager, settings):
    settings.DEBUG = True

    assert_error(api(manager).get("/api/v1/loans/", HTTP_HOST="evil.example"), 400, "bad_request")


def test_pages_keep_their_html_errors(client, manager):
    client.force_login(manager)

    missing = client.get("/loans/nowhere/")
    bad_host = client.get("/loans/", HTTP_HOST="evil.example")

    assert (missing.status_code, missing["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert (bad_host.status_code, bad_host["Content-Type"]) == (400, "text/html; charset=utf-8")
