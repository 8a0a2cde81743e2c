"""The production profile: `check --deploy` finds nothing and every response carries the security headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
# Test-only switches that a production process never has (check --deploy rightly flags the last one).
LEFT_OUT = {"DATABASE_URL", "DEBUG", "PUSHADMIN_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}

# Run in a fresh process: settings are read from the environment once, at start-up.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="push.example.com")
secure = client.get("/accounts/login/", secure=True)
plain = client.get("/accounts/login/")
proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
missing = client.get("/no-such-page/", secure=True)
print(json.dumps({
    "headers": dict(secure.headers),
    "cookies": {name: dict(morsel.items(), value=morsel.value) for name, morsel in secure.cookies.items()},
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": proxied.status_code,
    "missing": [missing.status_code, missing.content.decode()[:2000]],
    "session_cookie": [settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEFT_OUT}
    env.update(
        PUSHADMIN_ENV="production",
        PUSHADMIN_VAR_DIR=str(tmp_path),
        SECRET_KEY="x9" * 10 + "production-secret-key-for-the-deploy-check-0123456789",
        PUSHADMIN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="push.example.com",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_SETTINGS_MODULE="pushadmin.settings",
        **extra,
    )
    return env


def test_check_deploy_reports_nothing_under_the_production_profile(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    env = production_env(tmp_path_factory.mktemp("production"), PUSHADMIN_BEHIND_TLS_PROXY="true")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_pages_carry_hsts_csp_and_framing_headers(production: dict[str, object]) -> None:
    headers = production["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'"):
        assert directive in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_production_cookies_are_host_only_secure_and_plain_http_is_redirected(production: dict[str, object]) -> None:
    csrf = production["cookies"]["__Host-pushadmin_csrf"]
    assert csrf["secure"] is True and csrf["path"] == "/" and not csrf["domain"]
    assert csrf["samesite"] == "Lax"
    assert production["session_cookie"] == ["__Host-pushadmin_session", True, True]
    status, location = production["plain"]
    assert status == 301 and location.startswith("https://push.example.com/")
    # Behind a TLS proxy that says the client used https, no redirect loop.
    assert production["proxied"] == 200


def test_production_errors_show_no_debug_page(production: dict[str, object]) -> None:
    status, body = production["missing"]
    assert status in (302, 404)
    assert "Traceback" not in body and "URLconf" not in body and "DEBUG = True" not in body
