"""The sign-in settings per environment: production asks privileged roles for a second factor,
development and the demo ask nobody; the limits come from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET = "k" * 20 + "9f2#Qz!vL0pX@w7rT4mB8nC6yD1sE3uH5jK"
SHOWN = [
    "MFA_REQUIRED_ROLES",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "SESSION_COOKIE_AGE",
    "AXES_FAILURE_LIMIT",
    "API_THROTTLE_USER_RATE",
]


def settings_of(module: str, **env: str) -> dict[str, object]:
    names = {"SECRET_KEY", "DEBUG", "MFA_REQUIRED_ROLES", "SESSION_IDLE_MINUTES"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    code = f"import json, {module} as s; print(json.dumps({{n: getattr(s, n) for n in {SHOWN!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "SECRET_KEY": STRONG_SECRET,
            "AUDIT_HMAC_KEY": "k9" * 16 + "audit-key-of-this-test",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_requires_a_second_factor_of_the_privileged_roles():
    shown = settings_of("config.settings.production")
    assert shown["MFA_REQUIRED_ROLES"] == [
        "approver",
        "compliance_officer",
        "branch_head",
        "administrator",
    ]
    assert (shown["SESSION_IDLE_MINUTES"], shown["SESSION_MAX_HOURS"]) == (15, 8)
    assert shown["SESSION_COOKIE_AGE"] == 8 * 3600
    assert shown["AXES_FAILURE_LIMIT"] == 5


def test_the_demo_requires_none():
    assert settings_of("config.settings.local")["MFA_REQUIRED_ROLES"] == []


def test_the_limits_come_from_the_environment():
    shown = settings_of(
        "config.settings.production",
        MFA_REQUIRED_ROLES="administrator",
        SESSION_IDLE_MINUTES="5",
        API_THROTTLE_USER_RATE="10/second",
    )
    assert shown["MFA_REQUIRED_ROLES"] == ["administrator"]
    assert shown["SESSION_IDLE_MINUTES"] == 5
    assert shown["API_THROTTLE_USER_RATE"] == "10/second"
