"""alibabacloud-mpaas20200710 (Tea) against the sandbox, with V3 and with V1 ("v2") signing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from alibabacloud_mpaas20200710 import models
from alibabacloud_mpaas20200710.client import Client
from alibabacloud_tea_openapi import exceptions
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.utils import Utils

from tests.sandbox.conftest import KEY_ID, RENDERED, SECRET, VALUES, Sandbox

SCHEMES = [pytest.param(None, id="v3"), pytest.param("v2", id="v1")]


def _client(sandbox: Sandbox, algorithm: str | None, secret: str = SECRET, key_id: str = KEY_ID) -> Client:
    config = openapi_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        endpoint=sandbox.endpoint,
        protocol="http",
    )
    if algorithm:
        config.signature_algorithm = algorithm
    return Client(config)


def _request(count: int, values: Any = VALUES) -> models.PushMultipleRequest:
    prefix = uuid.uuid4().hex[:10]
    return models.PushMultipleRequest(
        app_id="ONEX570DA89211721",
        workspace_id="test",
        delivery_type=3,
        task_name="Multiple test",
        template_name="demo-welcome",
        expired_seconds=600,
        target_msg=[
            models.PushMultipleRequestTargetMsg(target=f"user{i}", msg_key=f"{prefix}-{i}", template_key_value=values)
            for i in range(count)
        ],
    )


@pytest.mark.parametrize("algorithm", SCHEMES)
@pytest.mark.parametrize("count", [1, 100])
def test_push_multiple_is_accepted(sandbox: Sandbox, algorithm: str | None, count: int) -> None:
    response = _client(sandbox, algorithm).push_multiple(_request(count))

    assert response.body.result_code == "OK"
    assert response.body.push_result.success is True
    messages = sandbox.messages(taskId=response.body.push_result.data)
    assert len(messages) == count
    assert all(m["content"] == RENDERED and m["title"] == "Congratulations" for m in messages)


@pytest.mark.parametrize("algorithm", SCHEMES)
def test_wrong_secret_is_signature_does_not_match(sandbox: Sandbox, algorithm: str | None) -> None:
    with pytest.raises(exceptions.ClientException) as caught:
        _client(sandbox, algorithm, secret="wrong").push_multiple(_request(1))

    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status_code == 400


@pytest.mark.parametrize("algorithm", SCHEMES)
def test_unknown_key_is_not_found(sandbox: Sandbox, algorithm: str | None) -> None:
    with pytest.raises(exceptions.ClientException) as caught:
        _client(sandbox, algorithm, key_id="nobody").push_multiple(_request(1))

    assert caught.value.code == "InvalidAccessKeyId.NotFound"
    assert caught.value.status_code == 404


@pytest.mark.parametrize("algorithm", SCHEMES)
def test_replayed_nonce_is_refused(sandbox: Sandbox, algorithm: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: nonce))
    client = _client(sandbox, algorithm)
    client.push_multiple(_request(1))

    with pytest.raises(exceptions.ClientException) as caught:
        client.push_multiple(_request(1))

    assert caught.value.code == "SignatureNonceUsed"


@pytest.mark.parametrize("algorithm", SCHEMES)
def test_stale_timestamp_is_refused(sandbox: Sandbox, algorithm: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 20 * 60))
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stale))

    with pytest.raises(exceptions.ClientException) as caught:
        _client(sandbox, algorithm).push_multiple(_request(1))

    assert caught.value.code == "InvalidTimeStamp.Expired"


@pytest.mark.parametrize("algorithm", SCHEMES)
def test_101_targets_are_refused_with_3029(sandbox: Sandbox, algorithm: str | None) -> None:
    response = _client(sandbox, algorithm).push_multiple(_request(101))

    assert response.body.result_code == "3029"
    assert response.body.push_result.success is False


def test_dict_values_are_flattened_by_the_sdk_and_count_as_missing(sandbox: Sandbox) -> None:
    response = _client(sandbox, None).push_multiple(_request(1, values={"name": "Zhang San", "money": "200"}))

    assert response.body.result_code == "3023"


def test_scheduled_push_can_be_listed_and_cancelled(sandbox: Sandbox) -> None:
    client = _client(sandbox, None)
    fire_at = int(time.time() * 1000) + 3_600_000
    request = _request(2)
    request.strategy_type = 1
    request.strategy_content = f'{{"fixedTime":{fire_at}}}'
    task_id = client.push_multiple(request).body.push_result.data

    listed = client.query_push_scheduler_list(
        models.QueryPushSchedulerListRequest(
            app_id="ONEX570DA89211721",
            workspace_id="test",
            start_time=fire_at - 1,
            end_time=fire_at + 1,
        )
    ).body.result_content.data
    cancelled = client.cancel_push_scheduler(
        models.CancelPushSchedulerRequest(app_id="ONEX570DA89211721", workspace_id="test", unique_ids=task_id)
    ).body

    assert listed.total_count == 1
    assert listed.list[0].unique_id == task_id
    assert listed.list[0].push_time == fire_at
    assert listed.list[0].executed_status == "0"
    assert cancelled.result_code == "OK"
    assert sandbox.messages(taskId=task_id)[0]["cancelled"] is True
