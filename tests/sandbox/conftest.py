"""Fixtures that run the sandbox as a real subprocess on a free loopback port."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from pushadmin.mpaas import signing, wire
from pushadmin.sandbox.process import start_sandbox_process

ROOT = Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "pushadmin-demo", "pushadmin-demo-secret"
VALUES = json.dumps({"money": "200", "name": "Zhang San"}, separators=(",", ":"))
RENDERED = "Hello Zhang San, congratulations on winning 200 yuan"


@dataclass
class Sandbox:
    process: subprocess.Popen[str]
    port: int
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(self.url + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: Any = None) -> requests.Response:
        return self.session.post(self.url + path, json=payload, timeout=10)

    def reset(self) -> None:
        self.post("/_sandbox/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return self.get("/_sandbox/stats")

    def messages(self, **params: Any) -> list[dict[str, Any]]:
        return self.get("/_sandbox/messages", **params)["messages"]

    def stop(self) -> None:
        self.session.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def launch(args: Sequence[str] = (), command: Sequence[str] | None = None) -> Sandbox:
    """Start a sandbox on 127.0.0.1 with --port 0 and read the bound port it prints."""
    process, url = start_sandbox_process(args, command)
    return Sandbox(process, int(url.rsplit(":", 1)[1]))


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[Sandbox]:
    sandbox = launch()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(sandbox_process: Sandbox) -> Sandbox:
    sandbox_process.reset()
    return sandbox_process


@pytest.fixture
def start_sandbox() -> Iterator[Any]:
    started: list[Sandbox] = []

    def start(*args: str, command: Sequence[str] | None = None) -> Sandbox:
        started.append(launch(args, command))
        return started[-1]

    yield start
    for sandbox in started:
        sandbox.stop()


def push_fields(
    count: int = 1,
    *,
    key_prefix: str | None = None,
    values: str | None = VALUES,
    **overrides: str | None,
) -> list[tuple[str, str]]:
    """PushMultiple form fields for ``count`` targets; an override of None drops a field."""
    prefix = key_prefix or uuid.uuid4().hex[:12]
    common = {
        "AppId": "ONEX570DA89211721",
        "WorkspaceId": "test",
        "TaskName": "Multiple test",
        "TemplateName": "demo-welcome",
        "DeliveryType": "3",
        "ExpiredSeconds": "600",
    }
    common.update(overrides)
    fields = [(k, v) for k, v in common.items() if v is not None]
    for i in range(1, count + 1):
        fields.append((f"TargetMsg.{i}.Target", f"user-{i}"))
        fields.append((f"TargetMsg.{i}.MsgKey", f"{prefix}-{i}"))
        if values is not None:
            fields.append((f"TargetMsg.{i}.TemplateKeyValue", values))
    return fields


def now_stamp(offset_seconds: float = 0) -> str:
    return signing.format_timestamp(datetime.fromtimestamp(datetime.now(UTC).timestamp() + offset_seconds, UTC))


def call_v3(
    sandbox: Sandbox,
    fields: Sequence[tuple[str, str]],
    *,
    action: str = "PushMultiple",
    version: str = "2020-07-10",
    key_id: str = KEY_ID,
    secret: str = SECRET,
    nonce: str | None = None,
    timestamp: str | None = None,
    body: bytes | None = None,
) -> requests.Response:
    """A V3-signed call; ``body`` replaces the signed body to simulate tampering."""
    signed_body = wire.encode_form(fields)
    headers = signing.v3_sign_headers(
        access_key_id=key_id,
        secret=secret,
        host=sandbox.endpoint,
        action=action,
        version=version,
        body=signed_body,
        nonce=nonce or uuid.uuid4().hex,
        timestamp=timestamp or now_stamp(),
    )
    return sandbox.session.post(
        sandbox.url + "/",
        data=body if body is not None else signed_body,
        headers=headers,
        timeout=10,
    )
