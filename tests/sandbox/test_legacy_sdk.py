"""The seed page's Python example (aliyun-python-sdk-core + -mpaas, V1) against the sandbox."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.utils import parameter_helper
from aliyunsdkmpaas.request.v20190821 import PushMultipleRequest

from tests.sandbox.conftest import KEY_ID, RENDERED, SECRET, VALUES, Sandbox


def _request(sandbox: Sandbox, targets: list[dict[str, Any]]) -> Any:
    request = PushMultipleRequest.PushMultipleRequest()
    request.set_endpoint(sandbox.endpoint)
    request.set_protocol_type("http")
    request.set_AppId("ONEX570DA89211721")
    request.set_WorkspaceId("test")
    request.set_TemplateName("template1024")
    request.set_DeliveryType(3)
    request.set_TaskName("python test task")
    request.set_ExpiredSeconds(600)
    request.set_TargetMsgs(targets)
    return request


def _targets(count: int, values: Any = VALUES) -> list[dict[str, Any]]:
    prefix = uuid.uuid4().hex[:10]
    return [{"Target": f"user{i}", "MsgKey": f"{prefix}-{i}", "TemplateKeyValue": values} for i in range(count)]


def _client(secret: str = SECRET, key_id: str = KEY_ID) -> AcsClient:
    return AcsClient(key_id, secret, "cn-hangzhou", auto_retry=False)


@pytest.mark.parametrize("count", [1, 100])
def test_seed_example_with_json_values_is_accepted(sandbox: Sandbox, count: int) -> None:
    body = json.loads(_client().do_action_with_exception(_request(sandbox, _targets(count))))

    assert body["ResultCode"] == "OK"
    assert body["PushResult"]["Success"] is True
    messages = sandbox.messages(taskId=body["PushResult"]["Data"])
    assert len(messages) == count
    assert {m["content"] for m in messages} == {RENDERED}
    assert messages[0]["templateName"] == "template1024"


def test_seed_example_with_a_dict_sends_python_repr_and_is_refused(sandbox: Sandbox) -> None:
    targets = _targets(1, values={"name": "Zhang San", "money": "200"})

    body = json.loads(_client().do_action_with_exception(_request(sandbox, targets)))

    assert body["ResultCode"] == "3028"
    assert body["PushResult"]["Success"] is False
    assert sandbox.messages() == []


def test_wrong_secret_raises_invalid_access_key_secret(sandbox: Sandbox) -> None:
    # The SDK recognises its own string-to-sign in the server's message and
    # reports a wrong secret rather than a generic mismatch.
    with pytest.raises(ServerException) as caught:
        _client(secret="not-the-secret").do_action_with_exception(_request(sandbox, _targets(1)))

    assert caught.value.get_error_code() == "InvalidAccessKeySecret"
    assert caught.value.get_http_status() == 400


def test_unknown_key_raises_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(ServerException) as caught:
        _client(key_id="nobody").do_action_with_exception(_request(sandbox, _targets(1)))

    assert caught.value.get_error_code() == "InvalidAccessKeyId.NotFound"
    assert caught.value.get_http_status() == 404


def test_replayed_nonce_is_refused(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: "fixed-nonce-" + sandbox.endpoint)
    client = _client()
    client.do_action_with_exception(_request(sandbox, _targets(1)))

    with pytest.raises(ServerException) as caught:
        client.do_action_with_exception(_request(sandbox, _targets(1)))

    assert caught.value.get_error_code() == "SignatureNonceUsed"
    assert sandbox.stats()["messagesAccepted"] == 1


def test_stale_timestamp_is_refused(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stale)

    with pytest.raises(ServerException) as caught:
        _client().do_action_with_exception(_request(sandbox, _targets(1)))

    assert caught.value.get_error_code() == "InvalidTimeStamp.Expired"


def test_101_targets_are_refused_with_3029(sandbox: Sandbox) -> None:
    body = json.loads(_client().do_action_with_exception(_request(sandbox, _targets(101))))

    assert body["ResultCode"] == "3029"
    assert body["PushResult"]["Success"] is False
    assert sandbox.stats()["rejectedByCode"] == {"3029": 1}
