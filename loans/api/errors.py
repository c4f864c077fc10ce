"""Every error as ``{"code": ..., "detail": ..., "errors": [...]}``, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from workflow.engine import TransitionRefused

# Refusals that say "not you" answer 403; those that say "not now, not like this" answer 409.
FORBIDDEN_REFUSALS = {"wrong_role", "wrong_person", "out_of_scope"}


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
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


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """Django's 404 for URLs that match no route: JSON under /api/, the HTML page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        body = {"code": "not_found", "detail": "Not found.", "errors": []}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def server_error(request: Any) -> Any:
    """A 500 in JSON under /api/ (a bug: bad input is answered with a 4xx)."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as html_server_error

    if request.path.startswith("/api/"):
        body = {"code": "server_error", "detail": "Server error.", "errors": []}
        return JsonResponse(body, status=500)
    return html_server_error(request)
