"""`manage.py doctor` names what is wrong and what to do: a wrong clock, a wrong secret, a broker down."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tests.delivery.campaigns import point_at
from tests.personas import Cast

ROOT = Path(__file__).resolve().parents[2]


def reference_clock(date_header: str) -> Iterator[str]:
    """A loopback server whose every answer carries this Date header (the real time when it started)."""

    class Answer(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response_only(200)
            self.send_header("Date", date_header)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def time_url() -> Iterator[str]:
    yield from reference_clock(formatdate(usegmt=True))


def doctor(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("doctor", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue()
    return 0, out.getvalue()


def lines_of(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if line[6:].startswith(name)]


@pytest.fixture
def both_workspaces_on_the_sandbox(cast: Cast, mpaas_sandbox) -> Cast:
    point_at(cast.workspace, mpaas_sandbox.url)
    point_at(cast.other_workspace, mpaas_sandbox.url)
    return cast


@pytest.mark.integration
@pytest.mark.django_db
def test_a_sound_installation_passes_every_check(both_workspaces_on_the_sandbox: Cast, time_url: str) -> None:
    code, output = doctor("--time-url", time_url)

    assert code == 0, output
    assert not [line for line in output.splitlines() if line.startswith("FAIL")]
    assert len(lines_of(output, "workspace #")) == 2
    assert lines_of(output, "clock")[0].startswith("ok")


@pytest.mark.integration
@pytest.mark.django_db
def test_a_clock_twenty_minutes_fast_is_caught_by_the_reference_and_by_mpaas(
    both_workspaces_on_the_sandbox: Cast, time_url: str
) -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=True):
        code, output = doctor("--time-url", time_url)

    assert code == 1
    (clock,) = lines_of(output, "clock")
    assert clock.startswith("FAIL") and "synchronise this machine's clock" in clock
    assert 1190 <= int(re.search(r"([+-]\d+) s from", clock).group(1)) <= 1210
    workspace = lines_of(output, f"workspace #{both_workspaces_on_the_sandbox.workspace.pk}")[0]
    assert workspace.startswith("FAIL") and "InvalidTimeStamp.Expired" in workspace
    assert "synchronise this machine's clock" in workspace


@pytest.mark.integration
@pytest.mark.django_db
def test_a_wrong_secret_is_named_with_its_workspace_and_never_shown(
    both_workspaces_on_the_sandbox: Cast, time_url: str
) -> None:
    cast = both_workspaces_on_the_sandbox
    cast.other_workspace.set_secret("a-wrong-secret-Zq81")
    cast.other_workspace.save()

    code, output = doctor("--time-url", time_url)

    assert code == 1
    assert lines_of(output, f"workspace #{cast.workspace.pk}")[0].startswith("ok")
    wrong = lines_of(output, f"workspace #{cast.other_workspace.pk}")[0]
    assert wrong.startswith("FAIL") and "SignatureDoesNotMatch" in wrong
    assert "enter the workspace's AccessKey id and secret again" in wrong
    assert "a-wrong-secret-Zq81" not in output
    assert lines_of(output, "clock")[0].startswith("ok")


@pytest.mark.django_db
def test_a_secret_no_configured_key_decrypts_is_named(cast: Cast, settings) -> None:
    from cryptography.fernet import Fernet

    cast.workspace.access_key_secret_encrypted = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    cast.workspace.save()

    code, output = doctor()

    (keys,) = lines_of(output, "encryption keys")
    assert code == 1 and keys.startswith("FAIL") and f"#{cast.workspace.pk}" in keys


def test_an_unreachable_broker_fails_the_doctor(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env["PUSHADMIN_VAR_DIR"] = str(tmp_path)
    manage = [sys.executable, "manage.py"]
    assert subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"

    result = subprocess.run([*manage, "doctor"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    (broker,) = lines_of(result.stdout, "broker")
    assert broker.startswith("FAIL") and "check CELERY_BROKER_URL" in broker
    assert lines_of(result.stdout, "database")[0].startswith("ok")
    assert "Traceback" not in result.stderr
