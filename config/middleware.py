"""Request handling for the whole site, outside any view.

``RequestSizeLimitMiddleware`` answers 413 to a body declared larger than
``LOANFLOW_MAX_REQUEST_BYTES`` before anything reads it (under WSGI a body is read only as far as
its Content-Length; a proxy in front caps chunked bodies, see README). ``ApiErrorsAsJsonMiddleware``
keeps the promise that every error under ``/api/`` is JSON where Django itself answers with a page
— in development (``DEBUG``), its technical 404 and 400 pages. ``NoStoreMiddleware`` keeps
personal data out of browser and proxy caches (see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from loans.api.errors import error_response, is_api, too_large

# Headers of an error that tell the client what to do next; kept when the body becomes JSON.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

Handler = Callable[[HttpRequest], HttpResponse]


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.LOANFLOW_MAX_REQUEST_BYTES
        if declared_length(request) > limit:
            return too_large(request, limit)
        return self.get_response(request)


def declared_length(request: HttpRequest) -> int:
    """The body's Content-Length; one that is no number counts as none, as Django reads it."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api(request) or not 400 <= response.status_code < 500:
            return response  # a 5xx page in development keeps its traceback
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        answer = error_response(response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer


# Pages under these prefixes show borrowers' personal data to the people signed in.
PERSONAL_PAGE_PREFIXES = ("/loans/", "/notifications/")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with ``private``, ``no-cache``, ``max-age=0``) on every
    response under ``/api/`` and on every page under ``/loans/`` and ``/notifications/`` answered
    to a signed-in user, so that neither the browser (back button, disk cache) nor a shared proxy
    keeps a copy. Outermost, so that it also covers the JSON errors the middleware below writes.
    Static files and the other pages keep their caching; the admin sets ``never_cache`` itself.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api(request) or (
            request.path_info.startswith(PERSONAL_PAGE_PREFIXES)
            and getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            add_never_cache_headers(response)
        return response
