"""``Authorization: Token <key>`` against the hashed, expiring, revocable tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from accounts.throttles import check_anonymous
from accounts.tokens import token_authenticate


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
            check_anonymous(self._request)  # a wrong token counts against its address
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token
