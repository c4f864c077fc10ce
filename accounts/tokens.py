"""Issuing, using and revoking API tokens (the writes and reads of :class:`ApiToken`)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, RevokedBecause
from config.security_log import Event, security_event
from loans.models import User

# "lf_" and 43 URL-safe characters: 256 random bits, recognisable in a secret scanner.
TOKEN_START = "lf_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 11
# last_used_at is written at most this often per token, not on every request.
USE_STAMP_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the secret: shown once, never stored


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user: User, name: str, lifetime_days: int | None = None) -> IssuedToken:
    days = lifetime_days or settings.API_TOKEN_LIFETIME_DAYS
    days = min(days, settings.API_TOKEN_MAX_LIFETIME_DAYS)
    key = TOKEN_START + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=digest_of(key),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    security_event(
        Event.TOKEN_ISSUED,
        user=user,
        token_id=token.pk,
        token_prefix=token.prefix,
        token_name=name,
        expires_at=token.expires_at.isoformat(),
    )
    return IssuedToken(token=token, key=key)


def token_authenticate(key: str) -> ApiToken | None:
    """The usable token of an active user that ``key`` is, or None; stamps its last use, and logs
    ``token_used`` as often as it stamps it (not on every request)."""
    if not key.startswith(TOKEN_START) or len(key) > 128:
        return None
    token = (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(digest=digest_of(key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > USE_STAMP_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        security_event(
            Event.TOKEN_USED, user=token.user, token_id=token.pk, token_prefix=token.prefix
        )
    return token


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_revoke(*, token: ApiToken, because: RevokedBecause) -> bool:
    """Revoke one token; False when it was revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because=because
    )
    token.refresh_from_db()
    if revoked:
        security_event(
            Event.TOKEN_REVOKED,
            user=token.user,
            token_id=token.pk,
            token_prefix=token.prefix,
            reason=str(because.value),
        )
    return bool(revoked)


def tokens_revoke_all(*, user: User, because: RevokedBecause) -> int:
    """Revoke every token of ``user`` not revoked yet; the number revoked."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because=because
    )
    if revoked:
        security_event(Event.TOKEN_REVOKED, user=user, count=revoked, reason=str(because.value))
    return revoked
