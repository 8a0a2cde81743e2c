"""/healthz and /readyz answer load balancers without a sign-in, cheaply, and say only ok / not ok."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from pushadmin.audit.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]

ASK_BOTH = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
answers = {}
for path in ("/healthz", "/readyz"):
    response = client.get(path)
    answers[path] = [response.status_code, json.loads(response.content)]
print(json.dumps(answers))
"""


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask_in_a_process(tmp_path: Path, **env: str) -> dict[str, list]:
    """Both endpoints asked in a fresh process started with `env`, on a migrated database of its own."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean.update({"PUSHADMIN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "pushadmin.settings"})
    run = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    assert subprocess.run(run, cwd=ROOT, env=clean, capture_output=True, timeout=120).returncode == 0
    result = subprocess.run(
        [sys.executable, "-c", ASK_BOTH], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_both_endpoints_answer_ok_without_a_sign_in_and_write_nothing_to_the_audit_trail(
    django_assert_num_queries,
) -> None:
    client = Client()
    entries = AuditEntry.objects.count()
    with django_assert_num_queries(0):
        alive = client.get("/healthz")
    ready = client.get("/readyz")

    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "cache": "ok"},
    }
    assert AuditEntry.objects.count() == entries
    assert "no-cache" in ready["Cache-Control"]
    assert "Set-Cookie" not in alive.headers and not client.cookies


def test_with_the_database_down_the_process_is_alive_but_not_ready(tmp_path: Path) -> None:
    answers = ask_in_a_process(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{a_closed_port()}/none")

    assert answers["/healthz"] == [200, {"status": "ok"}]
    status, body = answers["/readyz"]
    assert status == 503 and body["status"] == "not ok"
    assert body["checks"] == {"database": "not ok", "migrations": "not ok", "broker": "ok", "cache": "ok"}


def test_with_the_broker_down_the_process_is_alive_but_not_ready_and_says_no_more(tmp_path: Path) -> None:
    port = a_closed_port()
    answers = ask_in_a_process(tmp_path, CELERY_BROKER_URL=f"redis://:hunter2secret@127.0.0.1:{port}/0")

    assert answers["/healthz"] == [200, {"status": "ok"}]
    status, body = answers["/readyz"]
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "ok", "broker": "not ok", "cache": "ok"}
    assert "hunter2" not in json.dumps(answers) and str(port) not in json.dumps(answers)


def test_a_database_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean.update({"PUSHADMIN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "pushadmin.settings"})
    back = [sys.executable, "manage.py", "migrate", "audit", "0001", "--noinput", "-v0"]
    assert subprocess.run(back, cwd=ROOT, env=clean, capture_output=True, timeout=120).returncode == 0
    result = subprocess.run([sys.executable, "-c", ASK_BOTH], cwd=ROOT, env=clean, capture_output=True, text=True)
    status, body = json.loads(result.stdout.strip().splitlines()[-1])["/readyz"]
    assert status == 503 and body["checks"]["migrations"] == "not ok" and body["checks"]["database"] == "ok"
