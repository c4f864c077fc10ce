"""Production settings: refuse to start with an insecure or missing secret."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.settings.base import *  # noqa: F403

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY is insecure: use at least 50 random characters "
        '(python -c "from django.core.management.utils import get_random_secret_key as k; '
        'print(k())").'
    )
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

# Approvers, compliance officers, branch heads and administrators pass a second factor.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", default=PRIVILEGED_ROLES)  # noqa: F405
