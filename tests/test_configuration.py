"""A wrong or malformed environment value stops start-up with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}}
    clean.update({"PUSHADMIN_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL must start with"),
        ("CELERY_BROKER_URL", "kafka://localhost", "CELERY_BROKER_URL must be"),
        ("PUSHADMIN_CACHE_URL", "memcached://localhost", "PUSHADMIN_CACHE_URL must start with redis://"),
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("PUSHADMIN_ENV", "staging", "PUSHADMIN_ENV must be one of"),
        ("PUSHADMIN_ENCRYPTION_KEYS", "not-a-key", "PUSHADMIN_ENCRYPTION_KEYS key #1 is not a valid Fernet key"),
        ("SESSION_IDLE_MINUTES", "ten", "SESSION_IDLE_MINUTES must be a whole number"),
        ("PUSHADMIN_ALLOWED_ENDPOINT_HOSTS", "https://mpaas.aliyuncs.com/", "ALLOWED_ENDPOINT_HOSTS must list"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    result = start(tmp_path, **{variable: value})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_the_embedded_defaults(tmp_path: Path) -> None:
    result = start(tmp_path, PUSHADMIN_ENV="production")
    assert result.returncode == 2
    assert "SECRET_KEY must be set when PUSHADMIN_ENV=production" in result.stderr


def test_embedded_defaults_start_on_a_bare_machine_and_keep_generated_keys(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first.returncode == 0, first.stderr
    secret = (tmp_path / "secret_key").read_text()
    keys = (tmp_path / "encryption_keys").read_text()
    assert start(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == secret and (tmp_path / "encryption_keys").read_text() == keys
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
