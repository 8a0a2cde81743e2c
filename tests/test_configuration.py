"""A wrong or malformed environment value stops start-up with a message naming the variable."""

from __future__ import annotations

import json
import os
import stat
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


PRODUCTION_READY = {
    "PUSHADMIN_ENV": "production",
    "SECRET_KEY": "p7" * 10 + "a-production-secret-key-long-enough-for-the-check",
    "PUSHADMIN_ENCRYPTION_KEYS": "gRk5YvN1mWqJ0r3sGZ6yqQ3m0a7n8b9c0d1e2f3g4h8=",
    "ALLOWED_HOSTS": "push.example.com",
}


@pytest.mark.parametrize(
    "backend",
    [None, "django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.filebased.EmailBackend"],
)
def test_production_refuses_e_mail_backends_that_write_links_into_the_log(tmp_path: Path, backend: str | None) -> None:
    env = PRODUCTION_READY | ({"EMAIL_BACKEND": backend} if backend else {})
    result = start(tmp_path, **env)
    assert result.returncode == 2
    assert "EMAIL_BACKEND must not be django.core.mail.backends" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_starts_with_an_smtp_backend(tmp_path: Path) -> None:
    result = start(tmp_path, **PRODUCTION_READY, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    assert result.returncode == 0, result.stderr


def test_embedded_defaults_start_on_a_bare_machine_and_keep_generated_keys(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first.returncode == 0, first.stderr
    secret = (tmp_path / "secret_key").read_text()
    keys = (tmp_path / "encryption_keys").read_text()
    assert start(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == secret and (tmp_path / "encryption_keys").read_text() == keys
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


SHOW_MODES_WHILE_WRITING = """
import json, os, stat
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
    cursor.execute("INSERT INTO probe VALUES (1)")
    folder = settings.VAR_DIR
    names = ["secret_key", "encryption_keys", "pushadmin.sqlite3", "pushadmin.sqlite3-wal", "pushadmin.sqlite3-shm"]
    modes = {name: oct(stat.S_IMODE(os.stat(folder / name).st_mode)) for name in names}
    modes["var"] = oct(stat.S_IMODE(os.stat(folder).st_mode))
    print(json.dumps(modes))
"""


def test_the_var_folder_and_its_keys_and_database_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}}
    clean.update({"PUSHADMIN_VAR_DIR": str(folder)})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_MODES_WHILE_WRITING],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o002),  # a permissive umask, as many accounts have
    )
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    assert modes.pop("var") == "0o700"
    assert modes == dict.fromkeys(modes, "0o600")
    assert len(modes) == 5


def test_files_an_older_version_left_open_are_closed_at_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    (folder / "secret_key").write_text("k" * 64)
    (folder / "pushadmin.sqlite3").write_bytes(b"")
    for path in (folder, folder / "secret_key", folder / "pushadmin.sqlite3"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert start(folder).returncode == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "pushadmin.sqlite3").stat().st_mode) == 0o600
