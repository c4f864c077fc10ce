"""Settings shared by every environment; values come from the environment (see README)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue  # type: ignore[attr-defined]

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    env_url,
)
from config.log_format import FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its runserver is staticfiles' on connections without Nagle's delay.
    "config.apps.OperationsConfig",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "workflow",
    "loans",
    "recovery",
    "insight",
    "watch",
    "accounts",
]

MIDDLEWARE = [
    "config.request_context.RequestIdMiddleware",
    "config.metrics.ResponseCountMiddleware",
    "config.middleware.NoStoreMiddleware",
    "config.middleware.ApiErrorsAsJsonMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.security_log.AccessDeniedLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: answers a locked-out login (accounts.lockout) after the view has run.
    "axes.middleware.AxesMiddleware",
]

# The content security policy, under every settings module (django-csp 4). Scripts and styles
# come only from the site's own static files: no inline script, no inline event handler, no
# style attribute in the templates, so neither 'unsafe-inline' nor 'unsafe-eval' is needed.
# Images also from data: URIs, which Bootstrap's stylesheet uses for its small icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

ROOT_URLCONF = "config.urls"
# Probes speak plain HTTP to the process itself: never redirect them to HTTPS (config/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflow.context_processors.notifications",
                "loans.context_processors.navigation",
                "watch.context_processors.watch_navigation",
            ],
        },
    },
]

# --- The record's seal ------------------------------------------------------------------------
# The heads of the hash chains (audit trail, deviations, their reviews) are sealed with an HMAC
# under a key kept outside the database, so rewriting or cutting a chain shows (docs/security.md).
# Development and tests use a public key; production requires a real one (settings/production.py).
DEVELOPMENT_AUDIT_HMAC_KEY = "insecure-development-audit-key-do-not-use-in-production"
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", DEVELOPMENT_AUDIT_HMAC_KEY)
# The label stored with each seal: rotate by giving a new key a new id and moving the old one to
# AUDIT_HMAC_RETIRED_KEYS ("id:key,id:key"), which still verify the seals they made.
AUDIT_HMAC_KEY_ID = env_str("AUDIT_HMAC_KEY_ID", "1")
AUDIT_HMAC_RETIRED_KEYS = env_list("AUDIT_HMAC_RETIRED_KEYS", default=[])

# --- Database -------------------------------------------------------------------------------
# The embedded default is a SQLite file in the project; DATABASE_URL points at PostgreSQL.
_database_url = env_url("DATABASE_URL", schemes=("sqlite", "postgres", "postgresql"))
_pool_timeout = env_int("DATABASE_POOL_TIMEOUT", default=10)
if _pool_timeout <= 0:
    raise ImproperlyConfigured(
        f"DATABASE_POOL_TIMEOUT={_pool_timeout} must be a number of seconds."
    )
DATABASES: dict[str, dict[str, Any]]
if _database_url is None:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    }
else:
    DATABASES = {"default": dict(dj_database_url.parse(_database_url))}
# A PostgreSQL streaming replica of the primary (DATABASE_URL): the reporting pages read from it
# (config/db_router.py, docs/scaling.md). It is never written to nor migrated; tests mirror it to
# the primary's test database.
_replica_url = env_url("DATABASE_REPLICA_URL", schemes=("postgres", "postgresql"))
if _replica_url is not None:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is a replica of the PostgreSQL primary: "
            "set DATABASE_URL to that primary (postgres://...)."
        )
    DATABASES["replica"] = {**dj_database_url.parse(_replica_url), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# A fact of a loan's file that a step's checks did not declare they read (``check(reads=...)``)
# is read when asked for, one statement more, with a warning in the log; the test suite raises
# instead, so that a check which does not declare what it reads fails its tests
# (loans/checks/facts.py).
UNDECLARED_FACTS_RAISE = False
# The engine's locked read and writes are prepared on the server, once per connection
# (workflow/prepared.py). A PgBouncer in transaction mode needs 1.21+ with max_prepared_statements
# for that; otherwise turn it off (docs/scaling.md). Off by default behind PgBouncer.
_pgbouncer = env_bool("DATABASE_PGBOUNCER", default=False)
_prepared_statements = env_bool("DATABASE_PREPARED_STATEMENTS", default=not _pgbouncer)
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3 with Django's own connection pool; a pooled connection must not also
        # persist. config.postgresql is Django's backend with a pool that clears out dead
        # connections at once.
        _database["ENGINE"] = "config.postgresql"
        _database["CONN_MAX_AGE"] = 0
        _database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": 20,
            # A request waits this long for a connection, not psycopg_pool's 30 s, when the
            # database is down or every connection is taken; then it fails (PoolTimeout).
            "timeout": _pool_timeout,
        }
        # psycopg prepares only the statements asked for (Django's own cursors bind on the
        # client and prepare nothing); None turns preparing off.
        _database["OPTIONS"]["prepare_threshold"] = 5 if _prepared_statements else None
    elif _database["ENGINE"] == "django.db.backends.sqlite3":
        # Wait for a competing writer instead of failing at once with "database is locked".
        _database.setdefault("OPTIONS", {})["timeout"] = 20
    # Connections are checked before use: after a restart or a failover the pool (or a
    # persistent connection, CONN_MAX_AGE > 0) would otherwise hand requests the connections the
    # database dropped, one 500 each. With the pool, a connection is verified as it is taken.
    _database["CONN_HEALTH_CHECKS"] = True
# DATABASE_URL reaches PostgreSQL through PgBouncer in transaction pooling: one connection's
# transactions may run on different server connections, so a cursor held open between them
# (Django's server-side cursors, for .iterator()) cannot work there (docs/scaling.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = _pgbouncer

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "loans.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Getting in: lockout, second factor, sessions (docs/security.md) --------------------------
# django-axes counts failed logins (and wrong second-factor codes) per user name and client
# address together; at the limit that pair is locked until an administrator unlocks it (the
# staff admin's "Unlock sign-in", or deleting the access attempt), or after the cool-off if set.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
_cool_off_minutes = env_int("LOGIN_LOCKOUT_MINUTES", default=0)
AXES_COOLOFF_TIME = timedelta(minutes=_cool_off_minutes) if _cool_off_minutes > 0 else None
# The count is cleared when a login is complete — after the second factor where one is owed
# (accounts.lockout.login_completed) — not at the password: else logging in again with a stolen
# password would reset the count of wrong codes.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.clients.client_address"
AXES_VERBOSE = False
# Proxies in front that append to X-Forwarded-For (nginx: 1). 0: the peer's address is the
# client's. Lockout and the API's per-client throttle count by the address this gives.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)

# Roles that hold privileges: they never reset a password by e-mail, and the roles whose members
# must pass a second factor (TOTP or a backup code) — none in development and the demo, these in
# production (config/settings/production.py). Superusers count as administrators.
PRIVILEGED_ROLES = ["approver", "compliance_officer", "branch_head", "administrator"]
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", default=[])
OTP_TOTP_ISSUER = "LoanFlow"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists devices without their keys

# A signed-in session ends after this long without a request, and this long after the login.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", default=15)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", default=8)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Amounts grouped by thousands in both languages (config/formats/zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
# The bank's time zone: dates shown, date rules ("not in the future", "not before the
# application") and business days are all counted on its local calendar days.
TIME_ZONE = env_time_zone("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
LOANFLOW_MAX_UPLOAD_BYTES = env_int("LOANFLOW_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# A request body declared larger is answered 413 before it is read: room for the largest upload
# and the form around it. (Data beside files is capped lower, by DATA_UPLOAD_MAX_MEMORY_SIZE.)
LOANFLOW_MAX_REQUEST_BYTES = env_int(
    "LOANFLOW_MAX_REQUEST_BYTES", default=LOANFLOW_MAX_UPLOAD_BYTES + 1024 * 1024
)
# Form and JSON data beside files, read into memory: capped (a 413) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, said here
# An uploaded file above this size is streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640
if LOANFLOW_MAX_REQUEST_BYTES <= LOANFLOW_MAX_UPLOAD_BYTES:
    raise ImproperlyConfigured(
        "LOANFLOW_MAX_REQUEST_BYTES must be above LOANFLOW_MAX_UPLOAD_BYTES, "
        "or the largest upload allowed could never arrive."
    )
# Where collectstatic gathers the files WhiteNoise serves in production.
STATIC_ROOT: Path | None = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- API ---------------------------------------------------------------------------------------
# Personal tokens (accounts.models.ApiToken): issued for this many days unless asked otherwise,
# never for more than the maximum.
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", default=90)
API_TOKEN_MAX_LIFETIME_DAYS = env_int("API_TOKEN_MAX_LIFETIME_DAYS", default=365)
# Requests per user (signed in) and per client address (anonymous): "N/second|minute|hour|day".
API_THROTTLE_USER_RATE = env_str("API_THROTTLE_USER_RATE", "300/minute")
API_THROTTLE_ANON_RATE = env_str("API_THROTTLE_ANON_RATE", "60/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.UserThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Anonymous requests are counted per address (429 past API_THROTTLE_ANON_RATE), then refused.
    "DEFAULT_PERMISSION_CLASSES": [
        "accounts.throttles.AnonymousThrottlePermission",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "loans.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "loans.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "loans.api.errors.handle",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LoanFlow API",
    "DESCRIPTION": "The loan workflow: the same rules, roles and checks as the web UI.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs describe every endpoint: for signed-in users only.
    "SERVE_PERMISSIONS": [
        "accounts.throttles.AnonymousThrottlePermission",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RiskClassEnum": "loans.choices.RiskClass",
        "RepaymentMethodEnum": "loans.choices.RepaymentMethod",
        "PaymentMethodEnum": "loans.choices.PaymentMethod",
        "CaseStateEnum": "recovery.states.CaseState",
        "ContactChannelEnum": "recovery.states.ContactChannel",
        "ChannelEnum": "workflow.models.Channel",
        "LimitStatusEnum": "insight.structure.STATUS_VALUES",
        # high / medium / low: a deviation's severity and an early-warning signal's share them.
        "SeverityEnum": "watch.states.Severity",
        "WatchItemStateEnum": "watch.states.ItemState",
    },
}

# The API's throttle counters: in Redis, shared by every web worker, when there is one.
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "throttle",
    },
}

# --- Celery ----------------------------------------------------------------------------------
# Without REDIS_URL there is no broker: tasks run in-process, at once (see README).
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# An unacknowledged task (its worker died) is handed out again after this many seconds.
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # Look for abandoned tasks a few times per visibility timeout.
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1 if _VISIBILITY_TIMEOUT < 120 else 10,
}
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, so a flood of one cannot starve the others (docs/operations.md). A
# worker started without -Q consumes all three; the units name them anyway.
CELERY_QUEUES = ("notifications", "sweeps", "analytics")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in CELERY_QUEUES]  # type: ignore[no-untyped-call]
CELERY_TASK_DEFAULT_QUEUE = "notifications"
# Idempotent work of the processes once a day, in this order, after the bank's day has turned
# (Celery task names; beat fires them 20 minutes apart from 00:20, and run_scheduler at start and
# daily): each scheduled loan's days past due (docs/servicing.md), the floor of a non-retail
# borrower's non-performing claims (loans/classification.py), then a collection case for each loan
# more than the policy's days past due (recovery/services.py), then every early-warning signal
# (watch/rules.py), so the day's arrears, floors and cases are seen.
DAILY_TASKS = [
    "loans.tasks.refresh_days_past_due",
    "loans.tasks.apply_borrower_floors",
    "recovery.tasks.open_collection_cases",
    "watch.tasks.evaluate_signals",
]
CELERY_TASK_ROUTES = {
    "workflow.tasks.email_notification": {"queue": "notifications"},
    "workflow.tasks.sweep_timers": {"queue": "sweeps"},
    "workflow.tasks.relay_outbox": {"queue": "sweeps"},
    **{path: {"queue": "sweeps"} for path in DAILY_TASKS},
    # Early warning after a step and an escalation to record (follow-ups, ADR 0005).
    "watch.tasks.*": {"queue": "sweeps"},
    # Reports, dashboards' figures, exports: anything under an "analytics" module.
    "*.analytics.*": {"queue": "analytics"},
    "insight.tasks.*": {"queue": "analytics"},
}
# A task past its soft limit gets SoftTimeLimitExceeded (and is retried from the outbox or the
# next sweep); past the hard limit its worker process is replaced. Keep both under
# CELERY_VISIBILITY_TIMEOUT, or a task still running is handed out a second time.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=180)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "Celery time limits: 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT."
    )
# Beat stamps a heartbeat in Redis at each tick (config/beat.py); /readyz reads its age.
CELERY_BEAT_SCHEDULER = "config.beat:HeartbeatScheduler"
BEAT_HEARTBEAT_MAX_AGE_SECONDS = env_int("BEAT_HEARTBEAT_MAX_AGE_SECONDS", default=60)
if REDIS_URL:
    CACHES["throttle"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "loanflow-throttle",
    }
# Beat only fires idempotent work: the sweep reads due timers from the database, the relay sends
# what the outbox holds. A missed or duplicated tick changes nothing.
CELERY_BEAT_SCHEDULE = {
    "sweep-timers": {
        "task": "workflow.tasks.sweep_timers",
        "schedule": float(env_int("SWEEP_INTERVAL_SECONDS", default=30)),
    },
    "relay-outbox": {"task": "workflow.tasks.relay_outbox", "schedule": 5.0},
    # Every chain of the record re-verified against its sealed head, once a day (docs/security.md).
    "verify-audit": {
        "task": "workflow.tasks.verify_audit",
        "schedule": crontab(hour=2, minute=30),
    },
    **{
        f"daily-{path}": {
            "task": path,
            "schedule": crontab(hour=(20 + 20 * order) // 60, minute=(20 + 20 * order) % 60),
        }
        for order, path in enumerate(DAILY_TASKS)
    },
    # Today's portfolio snapshot of every office, refreshed each hour: an upsert per office and
    # local day, so a repeated or missed tick changes nothing (docs/insight.md).
    "snapshot-portfolio": {
        "task": "insight.tasks.snapshot_portfolio",
        "schedule": crontab(minute=55),
    },
    # The account managers' scorecard figures of this month and the last, each hour: an upsert
    # per manager and month (docs/insight.md).
    "measure-scorecard": {
        "task": "insight.tasks.measure_scorecard",
        "schedule": crontab(minute=50),
    },
    # Process analytics' weekly tables (recent weeks and the funnel), recomputed each hour: a
    # replacement in one transaction, so a repeated or missed tick changes nothing.
    "refresh-process": {
        "task": "insight.tasks.refresh_process",
        "schedule": crontab(minute=45),
    },
}
# Without a broker (the demo), `manage.py run_scheduler` runs the same work in a loop.
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", default=10)
# Beat's other periodic work, run by `run_scheduler` too: task path -> interval in seconds.
SCHEDULER_PERIODIC_TASKS = {
    "insight.tasks.snapshot_portfolio": 3600,
    "insight.tasks.measure_scorecard": 3600,
    "insight.tasks.refresh_process": 3600,
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "loanflow@localhost")

# --- Metrics (config/metrics.py, docs/operations.md) -------------------------------------------
# /metrics answers the addresses listed, asked directly (not through the proxy), or a request
# with "Authorization: Bearer $METRICS_TOKEN" from anywhere.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(address, strict=False) for address in METRICS_ALLOWED_ADDRESSES
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {error}") from None

# Readable lines by default; production writes one JSON object per line (config/log_format.py,
# docs/operations.md). LOG_FORMAT chooses either anywhere.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = logging_config(env_choice("LOG_FORMAT", FORMATS, default="text"), level=LOG_LEVEL)
