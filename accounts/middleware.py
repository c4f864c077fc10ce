"""Sessions end on time; a session that owes the second factor reaches nothing else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import mfa, sessions
from config.security_log import Event, security_event
from loans.api.errors import is_api

Handler = Callable[[HttpRequest], HttpResponse]

# What a session that owes the second factor may still reach.
OPEN_PATHS = ("/accounts/login/", "/accounts/logout/", "/accounts/mfa/", "/static/", "/i18n/")
OPEN_EXACT = ("/healthz", "/readyz")


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ended = sessions.check(request)
        if ended is not None:
            security_event(Event.SESSION_EXPIRED, request=request, reason=ended.value)
            logout(request)
            if not is_api(request):
                messages.info(request, _ended_message(ended))
        return self.get_response(request)


def _ended_message(ended: sessions.Ended) -> str:
    from django.conf import settings

    if ended is sessions.Ended.IDLE:
        return _(
            "You were signed out after %(minutes)d minutes without activity. Log in again."
        ) % {"minutes": settings.SESSION_IDLE_MINUTES}
    return _("Your session reached its limit of %(hours)d hours. Log in again.") % {
        "hours": settings.SESSION_MAX_HOURS
    }


class SecondFactorMiddleware:
    """A session that owes the second factor (:mod:`accounts.mfa`) is sent to pass it — or to
    enrol — before any page; under ``/api/`` it answers 403 ``second_factor_required``. A
    request with an ``Authorization`` header is left to the API's token authentication: a token
    is a factor decision of its own (docs/security.md)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not mfa.is_pending(request) or self._is_open(request):
            return self.get_response(request)
        if is_api(request):
            if "HTTP_AUTHORIZATION" in request.META:
                return self.get_response(request)
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "detail": _("Complete the second sign-in step on the web first."),
                    "errors": [],
                },
                status=403,
            )
        page = "accounts:mfa-verify"
        if mfa.authenticator_of(request.user) is None:
            page = "accounts:mfa-enrol"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _is_open(request: HttpRequest) -> bool:
        path = request.path_info
        return path in OPEN_EXACT or path.startswith(OPEN_PATHS)
