"""Starting the sandbox: CLI flags, template files and the Django management command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sandbox.conftest import Sandbox, call_v3, push_fields

# Minimal settings, so the command is tested without the project's database or services.
DJANGO_COMMAND = [
    sys.executable,
    "-c",
    "import sys, django; from django.conf import settings;"
    "settings.configure(INSTALLED_APPS=['pushadmin.sandbox']); django.setup();"
    "from django.core.management import call_command;"
    "call_command('mpaas_sandbox', *sys.argv[1:])",
]


def test_management_command_serves_the_api(start_sandbox: Any) -> None:
    sandbox: Sandbox = start_sandbox("--credential", "ops:ops-secret", command=DJANGO_COMMAND)

    response = call_v3(sandbox, push_fields(), key_id="ops", secret="ops-secret")

    assert response.json()["ResultCode"] == "OK"


def test_templates_file_with_aliases(start_sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "order-shipped",
                    "title": "Order #order#",
                    "content": "Your order #order# ships #day#",
                    "aliases": ["shipped-v2"],
                }
            ]
        )
    )
    sandbox: Sandbox = start_sandbox("--templates", str(path), "--template-alias", "legacy=order-shipped")
    values = '{"order":"A1","day":"today"}'

    for name in ("order-shipped", "shipped-v2", "legacy"):
        assert call_v3(sandbox, push_fields(TemplateName=name, values=values)).json()["ResultCode"] == "OK"
    missing = call_v3(sandbox, push_fields(TemplateName="order-shipped", values='{"order":"A"}'))

    assert missing.json()["ResultCode"] == "3023"
    assert call_v3(sandbox, push_fields()).json()["ResultCode"] == "3022"
    assert sandbox.messages()[0]["title"] == "Order A1"


def test_fault_flags_apply_from_the_start(start_sandbox: Any) -> None:
    sandbox: Sandbox = start_sandbox("--throttle", "1", "--seed", "7")

    assert call_v3(sandbox, push_fields()).json()["Code"] == "Throttling.User"
    assert sandbox.get("/_sandbox/faults")["throttle"] == 1.0


def test_bad_flags_stop_start_up(start_sandbox: Any) -> None:
    with pytest.raises(RuntimeError):
        start_sandbox("--credential", "no-colon")


def test_only_loopback_is_bound_by_default(sandbox: Sandbox) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert requests.get(sandbox.url + "/_sandbox/health", timeout=5).json() == {"ok": True}
