"""The security event log: one JSON line per event on the logger ``loanflow.security``.

Call :func:`security_event` for anything a security reviewer would want to find later. Each line
carries ``event`` (a kind below), ``outcome`` (``success`` or ``failure``), ``user_id`` and
``username`` (empty when nobody is signed in), ``address`` (the client's, through
``TRUSTED_PROXY_COUNT`` proxies), ``request_id``, ``user_agent``, ``method`` and ``path``, plus
the fields of its kind. Outside a request (a command, a task) the request's fields are empty.
docs/security.md, "The security event log", lists the kinds and their fields.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.clients import client_address
from config.request_context import current_request, current_request_id

logger = logging.getLogger("loanflow.security")


class Event:
    """The kinds of event (docs/security.md, "The security event log", lists their fields)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ACCESS_DENIED = "access_denied"  # a 403 answered, on a page or the API
    STEP_REFUSED = "step_refused"  # the engine refused a step to this person (role, scope)
    ADMIN_CHANGE = "admin_change"  # an object added, changed or deleted in the admin
    LOCKED_OUT = "locked_out"  # a login (password or second factor) refused by the lockout
    UNLOCKED = "unlocked"  # an administrator lifted a lockout
    SESSION_EXPIRED = "session_expired"  # ended by the idle or the absolute limit
    MFA_ENROLLED = "mfa_enrolled"
    MFA_VERIFIED = "mfa_verified"
    MFA_FAILED = "mfa_failed"
    MFA_BACKUP_CODES_ISSUED = "mfa_backup_codes_issued"
    MFA_REMOVED = "mfa_removed"
    TOKEN_ISSUED = "token_issued"  # noqa: S105 - an event, not a secret
    TOKEN_USED = "token_used"  # noqa: S105 - an event, not a secret
    TOKEN_REJECTED = "token_rejected"  # noqa: S105 - an event, not a secret
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - an event, not a secret
    THROTTLED = "throttled"  # an API request answered 429
    PERSONAL_DATA_REVEALED = "personal_data_revealed"
    PERSONAL_DATA_REVEAL_REFUSED = "personal_data_reveal_refused"


FAILURES = {
    Event.LOGIN_FAILED,
    Event.ACCESS_DENIED,
    Event.STEP_REFUSED,
    Event.LOCKED_OUT,
    Event.MFA_FAILED,
    Event.TOKEN_REJECTED,
    Event.THROTTLED,
    Event.PERSONAL_DATA_REVEAL_REFUSED,
}
# A field of an event may not take the name of a field every line has, nor of a LogRecord's.
_RESERVED = {
    *vars(logging.LogRecord("", 0, "", 0, "", (), None)),
    "message",
    "asctime",
    "event",
    "outcome",
    "user_id",
    "username",
    "address",
    "request_id",
    "user_agent",
    "method",
    "path",
}
USER_AGENT_LENGTH = 256


def security_event(
    kind: str, *, request: HttpRequest | None = None, user: Any = None, **fields: Any
) -> None:
    """Log a security event of ``kind`` about ``user`` (default: the request's signed-in user).

    ``request`` defaults to the request being served, if any. ``fields`` are the event's own
    (``step``, ``object_id``, ...); they may not reuse a common field's name.
    """
    clash = _RESERVED.intersection(fields)
    if clash:
        raise ValueError(f"security_event fields may not be named {sorted(clash)}")
    request = request if request is not None else current_request()
    if user is None and request is not None:
        signed_in = getattr(request, "user", None)
        user = signed_in if getattr(signed_in, "is_authenticated", False) else None
    entry: dict[str, Any] = {
        "event": kind,
        "outcome": "failure" if kind in FAILURES else "success",
        "user_id": getattr(user, "pk", None),
        "username": getattr(user, "username", "") or "",
        "address": client_address(request) if request is not None else "",
        "request_id": getattr(request, "request_id", "") or current_request_id(),
        "user_agent": (request.headers.get("User-Agent", "") if request else "")[
            :USER_AGENT_LENGTH
        ],
        "method": request.method if request is not None else "",
        "path": request.path if request is not None else "",
        **fields,
    }
    if request is not None and kind in {Event.ACCESS_DENIED, Event.STEP_REFUSED}:
        request._security_refusal_logged = True  # type: ignore[attr-defined]
    level = logging.WARNING if kind in FAILURES else logging.INFO
    who = entry["username"] or "anonymous"
    logger.log(level, "%s: %s from %s", kind, who, entry["address"] or "-", extra=entry)


# --- What is logged without anyone calling it -------------------------------------------------


def on_login(sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any) -> None:
    security_event(Event.LOGIN, request=request, user=user)


def on_logout(sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any) -> None:
    security_event(Event.LOGOUT, request=request, user=user)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    # Django has already masked the password; only the name tried is kept.
    security_event(
        Event.LOGIN_FAILED, request=request, attempted_username=str(credentials.get("username", ""))
    )


def on_admin_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    actions = {1: "added", 2: "changed", 3: "deleted"}
    security_event(
        Event.ADMIN_CHANGE,
        user=instance.user,
        action=actions.get(instance.action_flag, str(instance.action_flag)),
        object_type=f"{instance.content_type.app_label}.{instance.content_type.model}"
        if instance.content_type_id
        else "",
        object_id=str(instance.object_id or ""),
        object_repr=instance.object_repr,
        change=instance.get_change_message(),
    )


# Refusals that say "not you": the person lacks the role, the scope, or may not act here.
PERSONAL_REFUSALS = {"wrong_role", "out_of_scope", "wrong_person"}


def on_deviation(sender: Any, *, deviation: Any, decision: Any, **kwargs: Any) -> None:
    if deviation.kind not in PERSONAL_REFUSALS or deviation.actor_id is None:
        return
    security_event(
        Event.STEP_REFUSED,
        user=deviation.actor,
        step=decision.name,
        refusal=deviation.kind,
        deviation_id=deviation.pk,
        object_type=deviation.content_type.model,
        object_id=deviation.object_id,
        channel=deviation.channel,
    )


class AccessDeniedLogMiddleware:
    """Log every 403 answered, on pages and under /api/, unless the engine's refusal behind it
    was already logged as ``step_refused``."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if response.status_code == 403 and not getattr(request, "_security_refusal_logged", False):
            security_event(Event.ACCESS_DENIED, request=request, status=403)
        return response
