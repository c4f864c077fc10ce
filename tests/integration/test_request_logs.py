"""Every request has an id: the proxy's X-Request-ID or a new one, echoed and in each log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from config.log_format import ContextFilter, JsonFormatter, logging_config


@pytest.fixture
def json_log():
    """The root logger's records as the production JSON lines, in a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_the_proxys_request_id_is_echoed_and_stamped_on_the_requests_log_lines(
    client, db, json_log
):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="edge-7f3e2a")

    assert response["X-Request-ID"] == "edge-7f3e2a"
    not_found = next(line for line in json_log() if line["logger"] == "django.request")
    assert not_found["request_id"] == "edge-7f3e2a"
    assert not_found["level"] == "WARNING"
    assert "request" not in not_found  # Django's request object is no field for a log store


@pytest.mark.parametrize(
    "sent", ["", "has spaces", "x" * 129, "<script>", "id\nsecond-line", "-leading-dash"]
)
def test_an_unacceptable_request_id_is_replaced_by_a_new_one(client, db, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32


def test_two_requests_without_an_id_get_different_ones(client, db):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_a_json_line_carries_extra_fields_and_the_traceback():
    formatter, record = JsonFormatter(), None
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("loanflow.x", logging.ERROR, "", 0, "failed %s", ("it",), None)
        record.exc_info = sys.exc_info()
    record.loan_id = 7
    ContextFilter().filter(record)

    line = json.loads(formatter.format(record))

    assert line["message"] == "failed it"
    assert line["loan_id"] == 7
    assert line["request_id"] == ""
    assert "ValueError: boom" in line["exception"]


def test_production_logs_json_and_development_lines():
    assert logging_config("json")["formatters"]["main"] == {"()": "config.log_format.JsonFormatter"}
    assert "format" in logging_config("text")["formatters"]["main"]
