"""Configuration: typed environment readers fail loudly, production refuses insecure secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, env_time_zone, env_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("off", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", default=not expected) is expected


def test_env_bool_refuses_a_value_it_cannot_read(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", default=False)


def test_env_int_refuses_a_non_integer(monkeypatch):
    monkeypatch.setenv("COUNT", "ten")

    with pytest.raises(ImproperlyConfigured, match="COUNT='ten' is not an integer"):
        env_int("COUNT", default=1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,")

    assert env_list("HOSTS", default=[]) == ["a.example", "b.example"]


def test_a_required_variable_must_be_set(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)

    with pytest.raises(ImproperlyConfigured, match="NOT_SET_ANYWHERE is required"):
        env_str("NOT_SET_ANYWHERE")


def test_a_database_url_of_an_unknown_scheme_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/loanflow")

    with pytest.raises(ImproperlyConfigured, match="must start with one of"):
        env_url("DATABASE_URL", schemes=("sqlite", "postgres"))


def test_the_time_zone_is_the_banks_and_can_be_set(monkeypatch):
    monkeypatch.delenv("TIME_ZONE", raising=False)
    assert env_time_zone("TIME_ZONE", default="Asia/Shanghai") == "Asia/Shanghai"
    monkeypatch.setenv("TIME_ZONE", "Asia/Urumqi")
    assert env_time_zone("TIME_ZONE", default="Asia/Shanghai") == "Asia/Urumqi"


def test_an_unknown_time_zone_stops_the_start(monkeypatch):
    monkeypatch.setenv("TIME_ZONE", "Mars/Olympus")

    with pytest.raises(ImproperlyConfigured, match="'Mars/Olympus' is not a known time zone"):
        env_time_zone("TIME_ZONE", default="Asia/Shanghai")


# The key sealing the record's chains: production requires one (see the tests below).
AUDIT_KEY = "a-test-audit-key-of-enough-length-0123456789"


def _import_settings(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env={**clean, "AUDIT_HMAC_KEY": AUDIT_KEY, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _import_production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return _import_settings("config.settings.production", **env)


def test_a_request_limit_below_the_upload_limit_stops_the_start():
    result = _import_settings(
        "config.settings.local",
        LOANFLOW_MAX_UPLOAD_BYTES="1000",
        LOANFLOW_MAX_REQUEST_BYTES="1000",
    )

    assert result.returncode != 0
    assert "LOANFLOW_MAX_REQUEST_BYTES must be above LOANFLOW_MAX_UPLOAD_BYTES" in result.stderr


def test_a_pool_timeout_that_is_not_positive_stops_the_start():
    result = _import_settings("config.settings.local", DATABASE_POOL_TIMEOUT="0")

    assert result.returncode != 0
    assert "DATABASE_POOL_TIMEOUT=0 must be a number of seconds" in result.stderr


def test_postgresql_connections_are_checked_and_wait_the_pool_timeout():
    code = (
        "from config.settings.local import DATABASES as D; d = D['default'];"
        " print(d['ENGINE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS']['pool']['timeout'])"
    )
    env = {"DATABASE_URL": "postgres://loanflow@127.0.0.1:5432/loanflow"}
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env, "DATABASE_POOL_TIMEOUT": "7"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert shown.stdout.split() == ["config.postgresql", "True", "7"], shown.stderr


def test_production_settings_refuse_to_start_without_a_secret():
    result = _import_production_settings()

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_settings_refuse_the_insecure_development_secret():
    result = _import_production_settings(SECRET_KEY="insecure-development-key-do-not-use")

    assert result.returncode != 0
    assert "SECRET_KEY is insecure" in result.stderr


def test_production_settings_start_with_a_strong_secret():
    result = _import_production_settings(
        SECRET_KEY="k" * 20 + "9f2#Qz!vL0pX@w7rT4mB8nC6yD1sE3uH5jK"
    )

    assert result.returncode == 0, result.stderr


STRONG_SECRET = "k" * 20 + "9f2#Qz!vL0pX@w7rT4mB8nC6yD1sE3uH5jK"


def _run_without_settings_module(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as a deployment would start it when DJANGO_SETTINGS_MODULE was forgotten."""
    unset = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "TRUST_PROXY_SSL_HEADER"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "AUDIT_HMAC_KEY": AUDIT_KEY, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_the_audit_key():
    result = _import_production_settings(SECRET_KEY=STRONG_SECRET, AUDIT_HMAC_KEY="")

    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY is required" in result.stderr


def test_production_settings_refuse_the_development_audit_key():
    development = "insecure-development-audit-key-do-not-use-in-production"
    result = _import_production_settings(SECRET_KEY=STRONG_SECRET, AUDIT_HMAC_KEY=development)

    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY is insecure" in result.stderr


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi", "config.celery_app"])
def test_a_deployment_entry_point_without_a_settings_module_refuses_to_start_without_a_secret(
    entry_point,
):
    # Not DEBUG with the public development key: the production settings, which stop the start.
    result = _run_without_settings_module(
        f"import {entry_point}; from django.conf import settings; settings.DEBUG"
    )

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_deployment_entry_point_without_a_settings_module_refuses_a_weak_secret():
    result = _run_without_settings_module(
        "import config.wsgi", SECRET_KEY="insecure-development-key-do-not-use"
    )

    assert result.returncode != 0
    assert "SECRET_KEY is insecure" in result.stderr


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi", "config.celery_app"])
def test_a_deployment_entry_point_without_a_settings_module_runs_the_production_settings(
    entry_point,
):
    result = _run_without_settings_module(
        f"import {entry_point}; from django.conf import settings as s; "
        "print(s.SETTINGS_MODULE, s.DEBUG)",
        SECRET_KEY=STRONG_SECRET,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


def test_the_local_settings_run_only_when_chosen():
    result = _run_without_settings_module(
        "import config.wsgi; from django.conf import settings as s; print(s.SETTINGS_MODULE)",
        DJANGO_SETTINGS_MODULE="config.settings.local",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.local"


def test_manage_py_stays_on_the_local_settings_for_development():
    result = _run_without_settings_module(
        "import sys, manage; "
        "sys.argv = ['manage.py', 'shell', '-c', "
        "'from django.conf import settings as s; print(s.SETTINGS_MODULE)']; manage.main()"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"


def _proxy_ssl_header(**env: str) -> str:
    result = _run_without_settings_module(
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=STRONG_SECRET,
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_ignores_x_forwarded_proto_unless_told_a_proxy_sets_it():
    assert _proxy_ssl_header() == "None"
    assert _proxy_ssl_header(TRUST_PROXY_SSL_HEADER="false") == "None"


def test_production_trusts_x_forwarded_proto_when_configured():
    assert _proxy_ssl_header(TRUST_PROXY_SSL_HEADER="true") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_misspelt_trust_proxy_ssl_header_stops_the_start():
    result = _run_without_settings_module(
        "import config.settings.production",
        SECRET_KEY=STRONG_SECRET,
        TRUST_PROXY_SSL_HEADER="maybe",
    )

    assert result.returncode != 0
    assert "TRUST_PROXY_SSL_HEADER='maybe' is not a boolean" in result.stderr


def test_production_logs_one_json_object_per_line_unless_told_otherwise():
    code = (
        "import config.wsgi; from django.conf import settings as s; "
        "print(s.LOGGING['formatters']['main'])"
    )
    json_lines = _run_without_settings_module(code, SECRET_KEY=STRONG_SECRET)
    text_lines = _run_without_settings_module(code, SECRET_KEY=STRONG_SECRET, LOG_FORMAT="text")
    typo = _run_without_settings_module(code, SECRET_KEY=STRONG_SECRET, LOG_FORMAT="jsn")

    assert "JsonFormatter" in json_lines.stdout, json_lines.stderr
    assert "JsonFormatter" not in text_lines.stdout
    assert "LOG_FORMAT='jsn' is not one of: json, text." in typo.stderr
