"""``Authorization: Token <key>`` against the hashed, expiring, revocable tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from accounts.throttles import check_anonymous
from accounts.tokens import PREFIX_LENGTH, TOKEN_START, token_authenticate
from config.security_log import Event, security_event


class ApiTokenAuthentication(TokenAuthentication):
    """The header DRF's token authentication reads; the key is checked by its digest.

    A token is a credential of its own: it is issued only from a session that passed every factor
    the user needs (the account's security page) or by an operator (``manage.py issue_token``), so
    using it asks for no second factor (docs/security.md).
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = token_authenticate(key)
        if token is None:
            # Never the key: its public prefix at most, and only of what looks like one of ours.
            prefix = key[:PREFIX_LENGTH] if key.startswith(TOKEN_START) else ""
            security_event(
                Event.TOKEN_REJECTED, request=self._request._request, token_prefix=prefix
            )
            check_anonymous(self._request)  # a wrong token counts against its address
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token
