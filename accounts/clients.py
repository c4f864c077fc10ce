"""The client's address, as lockout and the API's throttle count it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The peer's address, or with ``TRUSTED_PROXY_COUNT`` proxies in front the address the
    outermost of them saw (each appends the address it received from to X-Forwarded-For), the
    same one DRF's throttles count by (``NUM_PROXIES``). Entries a client wrote itself lie further
    left and are never read."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies: int = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in str(forwarded).split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]
