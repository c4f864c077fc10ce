"""Steps over the API: a transition or an action performed through the engine for the request's
member of staff. A refusal is answered 403 or 409 with its deviation (``refusal_response``), an
unknown transition 404, an input error 400 (raised by the engine); a repeat under the same
``Idempotency-Key`` returns what the first attempt did. The loans' and the collections' APIs
perform their steps through these, so every process answers the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from loans.api.errors import refusal_response
from loans.models import User
from workflow.actions import perform_action
from workflow.engine import TransitionRefused, UnknownTransition, perform_transition
from workflow.models import Channel


def staff(request: Any) -> User:
    """The authenticated member of staff (every view requires authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user


def transition(
    request: Request, obj: Model, name: str, payload: Mapping[str, Any]
) -> Response | None:
    """Perform transition ``name`` on ``obj``: None when done, else the refusal's answer."""
    try:
        perform_transition(
            obj,
            name,
            actor=staff(request),
            payload=payload,
            channel=Channel.API,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
    except UnknownTransition:
        raise exceptions.NotFound(f"No transition named {name}.") from None
    except TransitionRefused as refused:
        return refusal_response(refused)
    return None


def action(request: Request, obj: Model, name: str, data: dict[str, Any]) -> Any:
    """Perform action ``name`` on ``obj``: what it wrote (or None), else the refusal's answer
    (a ``Response``)."""
    try:
        return perform_action(
            obj,
            name,
            actor=staff(request),
            data=data,
            channel=Channel.API,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
    except TransitionRefused as refused:
        return refusal_response(refused)
