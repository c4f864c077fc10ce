"""Settings for the test suite: the same as local, with fast password hashing."""

from config.env import env_str
from config.settings.local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker started by a test writes its e-mail to files the test can count.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Throttle counters live in the test process, and no test trips the rates by accident: the
# throttling tests set their own (tests/api/test_throttling.py).
CACHES = {
    **CACHES,  # noqa: F405
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"},
}
API_THROTTLE_USER_RATE = "100000/minute"
API_THROTTLE_ANON_RATE = "100000/minute"
# A check reading a fact its step did not declare fails its test (config/settings/base.py).
UNDECLARED_FACTS_RAISE = True
