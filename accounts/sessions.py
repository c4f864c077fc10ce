"""How long a signed-in session lasts: an idle timeout and an absolute lifetime.

The login stamps the session with its start (:func:`start`, from the ``user_logged_in`` signal);
:class:`accounts.middleware.SessionLifetimeMiddleware` ends it after ``SESSION_IDLE_MINUTES``
without a request or ``SESSION_MAX_HOURS`` after the login, whichever comes first, and the login
page says why. A session with no stamp (begun before this rule) is ended too: fail closed.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest

from accounts import mfa

STARTED = "loanflow_auth_started"
SEEN = "loanflow_auth_seen"
# The last request is written to the session at most this often (seconds): not every request.
SEEN_PRECISION = 30


class Ended(Enum):
    IDLE = "idle"
    TOO_OLD = "too_old"


def start(request: HttpRequest, user: Any) -> None:
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now
    mfa.note_login(request, user)


def check(request: HttpRequest) -> Ended | None:
    """Why the signed-in session of ``request`` has ended, or None (then marks it seen)."""
    session = request.session
    if SESSION_KEY not in session:
        return None
    now = time.time()
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        return Ended.TOO_OLD
    if now - seen > settings.SESSION_IDLE_MINUTES * 60:
        return Ended.IDLE
    if now - started > settings.SESSION_MAX_HOURS * 3600:
        return Ended.TOO_OLD
    if now - seen > SEEN_PRECISION:
        session[SEEN] = now
    return None
