"""Start-up checks: the role lists name roles that exist."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from loans.roles import Role


@register()
def role_lists_name_known_roles(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting in ("MFA_REQUIRED_ROLES", "PRIVILEGED_ROLES"):
        unknown = sorted(set(getattr(settings, setting)) - set(Role.values))
        if unknown:
            errors.append(
                Error(
                    f"{setting} names roles that do not exist: {', '.join(unknown)}.",
                    hint=f"Use some of: {', '.join(Role.values)}.",
                    id="accounts.E001",
                )
            )
    return errors
