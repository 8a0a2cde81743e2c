"""RevokePushTask on the wire: field names, validation, and the same bytes and signature as the Tea SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushadmin.mpaas import errors, signing, wire
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import RevokePushTaskRequest
from pushadmin.mpaas.validation import validate_revoke_push_task

from . import sdk_capture as sdk
from . import vectors as v
from .fake_gateway import FakeGateway, Reply

APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}
TRICKY_ID = "task 张三+*~%&="


def test_revoke_uses_the_wire_names_and_reads_back_the_same() -> None:
    request = RevokePushTaskRequest(**APP, task_id="9f3c", tenant_id="T")
    assert wire.request_fields(request) == [
        ("AppId", "ONEX570DA89211721"),
        ("TaskId", "9f3c"),
        ("TenantId", "T"),
        ("WorkspaceId", "test"),
    ]
    assert wire.parse_request("RevokePushTask", wire.decode_form(wire.encode_request(request))) == request


def test_a_revoke_without_a_task_id_is_refused_by_field() -> None:
    assert validate_revoke_push_task(RevokePushTaskRequest(**APP, task_id="t1")) == []
    problems = validate_revoke_push_task(RevokePushTaskRequest(app_id="", workspace_id="W", task_id=" "))
    assert [p.field for p in problems] == ["AppId", "TaskId"]
    too_long = validate_revoke_push_task(RevokePushTaskRequest(**APP, task_id="x" * 65))
    assert [(p.field, p.message) for p in too_long] == [("TaskId", "must be at most 64 characters.")]
    with pytest.raises(wire.WireFormatError) as refused:
        wire.parse_request("RevokePushTask", {"AppId": "A", "WorkspaceId": "W"})
    assert [p.field for p in refused.value.problems] == ["TaskId"]


REQUESTS = [
    pytest.param(RevokePushTaskRequest(**APP, task_id="0a1b2c3d4e5f"), id="plain"),
    pytest.param(RevokePushTaskRequest(**APP, task_id=TRICKY_ID, tenant_id="LZFPEFIM"), id="tricky-with-tenant"),
]


@pytest.mark.parametrize("request_", REQUESTS)
def test_v3_body_and_signature_equal_the_tea_sdk(
    monkeypatch: pytest.MonkeyPatch, request_: RevokePushTaskRequest
) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v3")
    assert ours.content == sent.body
    assert sent.headers["x-acs-action"] == ours.headers["x-acs-action"] == "RevokePushTask"
    assert ours.headers["x-acs-content-sha256"] == sent.headers["x-acs-content-sha256"]
    _, our_signed, our_signature = signing.parse_v3_authorization(ours.headers["authorization"])
    canonical = signing.v3_canonical_request("POST", "/", {}, sent.headers, our_signed, signing.sha256_hex(sent.body))
    assert signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical)) == our_signature


@pytest.mark.parametrize("request_", REQUESTS)
def test_v1_body_query_and_signature_equal_the_tea_sdk(
    monkeypatch: pytest.MonkeyPatch, request_: RevokePushTaskRequest
) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v1")
    assert ours.content == sent.body
    assert dict(ours.url.params) == sent.query
    assert sent.query["Action"] == "RevokePushTask"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as server:
        yield server


def test_the_client_reads_a_recall_and_a_refusal(gateway: FakeGateway) -> None:
    ok = {"RequestId": "R1", "ResultCode": "OK", "PushResult": {"Success": True, "ResultMsg": "", "Data": ""}}
    refused = {
        "RequestId": "R2",
        "ResultCode": "3028",
        "ResultMessage": "INVALID_PARAM: task t2 is older than 7 days",
        "PushResult": {"Success": False, "ResultMsg": "INVALID_PARAM: task t2 is older than 7 days"},
    }
    gateway.replies += [Reply.json(200, ok), Reply.json(200, refused)]
    with MpaasClient(gateway.url, "id", "secret") as client:
        recalled = client.revoke_push_task(RevokePushTaskRequest(app_id="A", workspace_id="W", task_id="t1"))
        too_old = client.revoke_push_task(RevokePushTaskRequest(app_id="A", workspace_id="W", task_id="t2"))
    assert isinstance(recalled.outcome, errors.Accepted) and recalled.outcome.request_id == "R1"
    assert isinstance(too_old.outcome, errors.Rejected) and "older than 7 days" in (too_old.outcome.message or "")
    assert wire.decode_form(gateway.received[0].body) == {"AppId": "A", "WorkspaceId": "W", "TaskId": "t1"}
    assert gateway.received[0].headers["x-acs-action"] == "RevokePushTask"
