"""The request id, and the request being served, for logs, security events and tasks.

Every request gets an id: the proxy's ``X-Request-ID`` when it is a sane token (nginx:
``proxy_set_header X-Request-ID $request_id;``), otherwise a new one. It is echoed in the
response's ``X-Request-ID``, stamped on every log line written while the request is served, and
carried into the Celery tasks the request enqueues (the outbox keeps it with the message; a task
published directly carries it as a message header). A task runs under the id it was given, or
under its own task id when none was (beat's), so what it enqueues in turn carries that one on.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Letters, digits and ``._:-``, at most 128: a UUID, nginx's $request_id, a trace id.
VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_request: ContextVar[HttpRequest | None] = ContextVar("request", default=None)


def current_request_id() -> str:
    """The id of the request or task being served; empty outside both."""
    return _request_id.get()


def current_request() -> HttpRequest | None:
    return _request.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted(value: str | None) -> str | None:
    """``value`` if it is an acceptable request id, else None."""
    if value and VALID.fullmatch(value):
        return value
    return None


@contextmanager
def request_id_bound(request_id: str) -> Iterator[None]:
    """Serve what runs inside under ``request_id`` (a task, a command)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """Outermost: give the request its id before anything logs, echo it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.headers.get(HEADER)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = _request_id.set(request_id)
        request_token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(request_token)
            _request_id.reset(id_token)
        response[HEADER] = request_id
        return response
