"""Production settings: refuse to start with an insecure or missing secret."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_str
from config.log_format import FORMATS, logging_config
from config.settings.base import *  # noqa: F403

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY is insecure: use at least 50 random characters "
        '(python -c "from django.core.management.utils import get_random_secret_key as k; '
        'print(k())").'
    )
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", "")
if not AUDIT_HMAC_KEY:
    raise ImproperlyConfigured(
        "AUDIT_HMAC_KEY is required: the key that seals the audit trail, kept outside the "
        'database (python -c "import secrets; print(secrets.token_urlsafe(48))"); '
        "see docs/security.md."
    )
if AUDIT_HMAC_KEY.startswith("insecure") or len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY is insecure: use at least 32 random characters.")
DEBUG = env_bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# X-Forwarded-Proto is trusted only when the operator says a proxy sets it (replacing whatever a
# client sent): trusted without one, any client could claim HTTPS. Behind a TLS proxy with
# SECURE_SSL_REDIRECT on, leaving it off makes every request redirect to itself.
if env_bool("TRUST_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# One JSON object per line for the log store (docs/operations.md); LOG_FORMAT=text for lines.
LOGGING = logging_config(env_choice("LOG_FORMAT", FORMATS, default="json"), level=LOG_LEVEL)  # noqa: F405

# Approvers, compliance officers, branch heads and administrators pass a second factor.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", default=PRIVILEGED_ROLES)  # noqa: F405
