"""Commands and bench scripts on a fresh clone answer with one line telling what to run, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["bench_send", "verify_audit", "rotate_encryption_key", "load_demo", "serve_all"]


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean.update({"PUSHADMIN_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_on_a_never_migrated_database_says_to_migrate(tmp_path: Path, command: str) -> None:
    result = run_manage(tmp_path, command)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: The database has never been migrated: "
        "run `python manage.py migrate` (or `make run`, which migrates) first."
    ]
    assert not (tmp_path / "demo-credentials.txt").exists()


def test_a_database_behind_the_code_is_named_as_such(tmp_path: Path) -> None:
    assert run_manage(tmp_path, "migrate", "audit", "0001", "--noinput").returncode == 0
    result = run_manage(tmp_path, "verify_audit")
    assert result.returncode == 1
    assert "The database is behind this code (" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_names_the_class_of_failure(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_manage(tmp_path, "verify_audit", DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/none")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: Cannot reach the database (OperationalError); check DATABASE_URL and that the server runs."
    )


def test_the_commands_run_once_the_database_is_migrated(tmp_path: Path) -> None:
    assert run_manage(tmp_path, "migrate", "--noinput").returncode == 0
    result = run_manage(tmp_path, "verify_audit")
    assert result.returncode == 0, result.stderr
    assert "Audit trail intact: 0 entries verified." in result.stdout
