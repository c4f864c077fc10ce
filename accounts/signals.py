"""Receivers that keep credentials in step with the account, whatever changed it.

A password change or a deactivation revokes every API token of the user, whether it came from the
password page, a reset, the admin, ``changepassword`` or a shell: the rule lives on the model's
save, not in each place that can save it. A login stamps the session with its start, for the
absolute lifetime (:mod:`accounts.sessions`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import sessions
from accounts.models import RevokedBecause
from accounts.tokens import tokens_revoke_all
from loans.models import User


@receiver(pre_save, sender=User, dispatch_uid="accounts.note_credential_change")
def note_credential_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    instance._revoke_tokens_because = None  # type: ignore[attr-defined]
    if instance.pk is None:
        return
    stored = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["is_active"] and not instance.is_active:
        instance._revoke_tokens_because = RevokedBecause.DEACTIVATED  # type: ignore[attr-defined]
    elif stored["password"] != instance.password:
        instance._revoke_tokens_because = RevokedBecause.PASSWORD_CHANGED  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens")
def revoke_tokens(sender: type[User], instance: User, **kwargs: Any) -> None:
    because = getattr(instance, "_revoke_tokens_because", None)
    if because is not None:
        tokens_revoke_all(user=instance, because=because)
        instance._revoke_tokens_because = None  # type: ignore[attr-defined]


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session")
def stamp_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    sessions.start(request, user)
