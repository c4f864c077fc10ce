"""The second factor: who must pass it, the devices, and the state of a session.

A member of a role in ``MFA_REQUIRED_ROLES`` (production: the privileged roles; superusers count
as administrators) must enrol a TOTP device and pass it at every login; anyone else may enrol,
and then passes it too. Backup codes (a static device) stand in for a lost phone, each once.
Whether a session still owes the second factor is decided at login and kept in the session
(:data:`PENDING`), so a page costs no query for it; the second-factor middleware
(:mod:`accounts.middleware`) lets such a session reach only the login, second-factor and logout
pages.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

import segno
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from config.security_log import Event, security_event
from loans.roles import Role

PENDING = "loanflow_mfa_pending"
BACKUP_CODE_COUNT = 10
DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"


def is_required_for(user: Any) -> bool:
    required = set(settings.MFA_REQUIRED_ROLES)
    if user.is_superuser and Role.ADMINISTRATOR in required:
        return True
    return bool(required & set(user.roles))


def note_login(request: HttpRequest, user: Any) -> None:
    """At login: does this session owe the second factor (required, or enrolled)?"""
    pending = is_required_for(user) or user_has_device(user, confirmed=True)
    request.session[PENDING] = pending
    if not pending:
        lockout.login_completed(request, user.get_username())


def is_pending(request: HttpRequest) -> bool:
    return bool(request.session.get(PENDING))


def passed(request: HttpRequest, device: Any) -> None:
    """The user proved the second factor with ``device``: the session is verified."""
    otp_login(request, device)
    request.session[PENDING] = False
    security_event(
        Event.MFA_VERIFIED, request=request, user=device.user, device=device_kind(device)
    )
    lockout.login_completed(request, device.user.get_username())


def device_kind(device: Any) -> str:
    """What the event log says of a device: its kind, never its key or a code."""
    return "backup_code" if isinstance(device, StaticDevice) else "authenticator"


def authenticator_of(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (a new key each enrolment that is started over)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def enrolment_confirm(*, device: TOTPDevice, code: str) -> bool:
    """Confirm the device being enrolled with a code it shows; older devices are replaced."""
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def backup_codes_issue(user: Any) -> list[str]:
    """New backup codes for ``user`` (the old ones stop working); shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    security_event(Event.MFA_BACKUP_CODES_ISSUED, user=user, count=len(codes))
    return [f"{code[:4]} {code[4:]}" for code in codes]


def backup_codes_left(user: Any) -> int:
    left: int = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return left


def factor_remove(user: Any) -> None:
    """Remove the authenticator and the backup codes (for users who need no second factor)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn on the server."""
    code = segno.make(device.config_url, error="m")
    title = _("QR code to scan with the authenticator app")
    svg: str = code.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=title)
    return svg


def secret_text(device: TOTPDevice) -> str:
    """The key in base32 (what authenticator apps take when typed), in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
