"""DRF throttling per signed-in user and per anonymous client, rates read from the settings.

The rates are read at each request (DRF reads them once, at import), so an operator's setting
and a test's override both apply. A throttled request answers 429 in the usual error body with a
``Retry-After`` header (loans/api/errors.py). The counters live in Redis when it is configured;
while Redis does not answer, requests are let through uncounted (and a warning logged): the
broker's outage must not take the API down with it, and lockout still guards the logins.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class _SettingsRate:
    setting = ""

    def __init__(self) -> None:
        self.cache = caches["throttle"]  # Redis when configured: shared by every web worker
        super().__init__()

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            allowed: bool = super().allow_request(request, view)  # type: ignore[misc]
        except (redis.RedisError, OSError) as error:
            logger.warning("throttle: the counters cannot be read, request let through: %s", error)
            return True
        return allowed

    def get_rate(self) -> str | None:
        rate: str = getattr(settings, self.setting)
        return rate


class UserThrottle(_SettingsRate, UserRateThrottle):
    setting = "API_THROTTLE_USER_RATE"


class AnonymousThrottle(_SettingsRate, AnonRateThrottle):
    """Counted only for requests no credential vouched for (asking ``request.user`` here, as
    DRF's does, would authenticate again from inside authentication)."""

    setting = "API_THROTTLE_ANON_RATE"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def check_anonymous(request: Request) -> None:
    """Count a request no credential vouched for against its address; 429 past the rate."""
    throttle = AnonymousThrottle()
    if not throttle.allow_request(request, None):
        raise exceptions.Throttled(wait=throttle.wait())


class AnonymousThrottlePermission(BasePermission):
    """First of the permission classes: an anonymous request is counted against its address
    (``API_THROTTLE_ANON_RATE``) before ``IsAuthenticated`` refuses it — DRF checks throttles
    only after permissions, so a throttle class would never count a request answered 401. A
    wrong token is counted by the token authentication, which refuses it before this."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            check_anonymous(request)
        return True
