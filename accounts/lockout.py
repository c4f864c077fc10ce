"""Lockout after repeated failed logins (django-axes): the page a locked person sees, and the
administrator's unlock.

Axes counts failures per user name and client address together (``AXES_LOCKOUT_PARAMETERS``);
wrong second-factor codes count as failures too (:func:`second_factor_failed`). At
``LOGIN_FAILURE_LIMIT`` the pair is locked: even the right password is refused, with a page that
says so in words, until an administrator unlocks it (or the cool-off, if one is set, has passed).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.clients import client_address
from config.security_log import Event, security_event

LOCKED_STATUS = 403


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """What axes answers to a login from a locked user and address: the login page, saying why.

    Axes calls it once for each refused request: the attempt that reaches the limit (a password
    or a second-factor code), and every login tried while locked."""
    attempted = (credentials or {}).get("username") or request.POST.get("username", "")
    failures = getattr(request, "axes_failures_since_start", None)
    security_event(
        Event.LOCKED_OUT, request=request, attempted_username=str(attempted), failures=failures
    )
    return render_locked(request)


def render_locked(request: HttpRequest) -> HttpResponse:
    cool_off = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "locked": True,
            "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
            "next": request.POST.get("next", request.GET.get("next", "")),
        },
        status=LOCKED_STATUS,
    )


def second_factor_failed(request: HttpRequest, username: str) -> bool:
    """Count a wrong second-factor code as a failed login; True when that locks the user out."""
    credentials = {"username": username}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    locked: bool = AxesProxyHandler.is_locked(request, credentials)
    return locked


def login_completed(request: HttpRequest, username: str) -> None:
    """Every factor passed: clear the failures counted for this user from this address."""
    AxesProxyHandler.reset_attempts(ip_address=client_address(request), username=username)


def unlock(username: str) -> int:
    """Lift every lockout of ``username`` (from every address); the number of records cleared."""
    cleared: int = AxesProxyHandler.reset_attempts(username=username)
    return cleared
