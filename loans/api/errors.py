"""Every error as ``{"code": ..., "detail": ..., "errors": [...]}``, never a 500 for bad input.

Errors a view raises are answered by ``handle`` (DRF's exception handler); errors Django answers
before or around a view — an unknown URL, a bad Host header, a body too large or with too many
fields — by the handlers named in config/urls.py and by config/middleware.py: JSON under
``/api/``, Django's pages elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from config.security_log import Event, security_event
from workflow.engine import TransitionRefused

# Refusals that say "not you" answer 403; those that say "not now, not like this" answer 409.
FORBIDDEN_REFUSALS = {"wrong_role", "wrong_person", "out_of_scope"}

# What an error Django answers says under /api/, by status (the codes DRF gives the same errors).
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "Could not satisfy the request Accept header."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("throttled", "Request was throttled."),
    500: ("server_error", "Server error."),
}


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = STATUS_ERRORS[400][1]


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = STATUS_ERRORS[413][1]


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def error_response(status_code: int, detail: str | None = None) -> JsonResponse:
    """The usual error body for an error Django, not a view, answers."""
    code, default = STATUS_ERRORS.get(status_code, ("error", "Error."))
    body = {"code": code, "detail": detail or default, "errors": []}
    return JsonResponse(body, status=status_code)


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes."


def _bad_input(exc: Exception) -> exceptions.APIException | None:
    """The 4xx of a request Django found unacceptable while a view read it."""
    if isinstance(exc, RequestDataTooBig):  # data beside files above DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge(too_large_detail(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    if isinstance(exc, DisallowedHost):
        return BadRequest("The Host header names no host this site serves.")
    if isinstance(exc, TooManyFieldsSent):
        return BadRequest("The request has too many fields.")
    if isinstance(exc, TooManyFilesSent):
        return BadRequest("The request has too many files.")
    if isinstance(exc, SuspiciousOperation | UnreadablePostError):
        return BadRequest()
    return None


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif (bad := _bad_input(exc)) is not None:
        if isinstance(exc, SuspiciousOperation):  # logged as Django logs those it answers itself
            logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        exc = bad
    if isinstance(exc, exceptions.Throttled):  # the per-user and the per-client rates alike
        security_event(Event.THROTTLED, wait=getattr(exc, "wait", None))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "detail": "The request is not valid.",
            "errors": _flatten(response.data),
        }
    else:
        detail = getattr(exc, "detail", str(exc))
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        body = {"code": code, "detail": str(detail), "errors": []}
    response.data = body
    return response


def _flatten(data: Any, field: str = "") -> list[dict[str, str]]:
    if isinstance(data, dict):
        return [
            item
            for key, value in data.items()
            for item in _flatten(value, f"{field}.{key}" if field else str(key))
        ]
    if isinstance(data, list):
        items: list[dict[str, str]] = []
        for index, value in enumerate(data):
            nested = isinstance(value, dict | list)
            items.extend(_flatten(value, f"{field}[{index}]" if nested else field))
        return items
    code = getattr(data, "code", "invalid")
    return [{"field": field or "non_field_errors", "message": str(data), "code": str(code)}]


def refusal_response(refused: TransitionRefused) -> Response:
    kind = str(refused.kind)
    return Response(
        {
            "code": kind,
            "detail": "The transition was refused and recorded for compliance.",
            "errors": [
                {
                    "code": result.code,
                    "passed": False,
                    "severity": str(result.severity),
                    "reason": result.reason,
                    "clause": result.clause,
                }
                for result in refused.failed
            ],
            "deviation_id": refused.deviation.pk,
        },
        status=status.HTTP_403_FORBIDDEN
        if kind in FORBIDDEN_REFUSALS
        else status.HTTP_409_CONFLICT,
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a bad Host header, too many fields, a body above the limits): a body too
    large is a 413; JSON under /api/, Django's page elsewhere."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if is_api(request):
        bad = _bad_input(exception)
        return error_response(400, str(bad.detail) if bad else None)
    return defaults.bad_request(request, exception)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    if is_api(request):
        return error_response(413, too_large_detail(limit))
    title = "Content Too Large (413)"
    page = defaults.ERROR_PAGE_TEMPLATE % {"title": title, "details": too_large_detail(limit)}
    return HttpResponse(page, status=413)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 403 for a PermissionDenied raised outside DRF: JSON under /api/."""
    if is_api(request):
        return error_response(403)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for URLs that match no route: JSON under /api/, the HTML page elsewhere."""
    if is_api(request):
        return error_response(404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500 in JSON under /api/ (a bug: bad input is answered with a 4xx)."""
    if is_api(request):
        return error_response(500)
    return defaults.server_error(request)
