"""Same inputs, same bytes: our requests against what the official SDKs compute.

The SDKs are test-only dependencies; their nonce, clock and user agent are pinned
and their HTTP send is replaced, so nothing leaves the process.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushadmin.mpaas import signing, wire
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import PushMultipleRequest, StrategyContent, TargetMsg

from . import sdk_capture as sdk
from . import vectors as v

TRICKY = "Zhang San + 张三 😀 *~% a&b=c"


def rich_request() -> PushMultipleRequest:
    targets = [
        TargetMsg(
            target=f"user{i}",
            msg_key=f"campaign-7-{i}",
            template_key_value={"name": f"{TRICKY} {i}", "money": "200"},
            extended_params={"orderId": f"o{i}"} if i % 2 else None,
        )
        for i in range(1, 13)  # past 9, so TargetMsg.10 must sort before TargetMsg.2
    ]
    return PushMultipleRequest(
        app_id="ONEX570DA89211721",
        workspace_id="test",
        tenant_id="LZFPEFIM",
        task_name=f"Task {TRICKY}",
        template_name="Test template",
        delivery_type=3,
        target_msgs=targets,
        expired_seconds=600,
        extended_params={"key1": "value 1", "emoji": "😀"},
        notify_type="notify",
        push_action=1,
        silent=0,
        classification="1",
        strategy_type=1,
        strategy_content=StrategyContent(fixed_time=1_893_456_000_000),
        third_channel_category={"hms": "9", "vivo": "1"},
        notify_level={"oppo": "2"},
        channel_id="chan-1",
        mi_channel_id="123321",
        transparent_message_payload={"hms": {"a": "1", "b": "二"}},
        transparent_message_urgency="HIGH",
        activity_event="end",
        activity_content_state={"score": "2:1"},
        dismissal_date=1_893_456_000,
    )


def tea_kwargs(request: PushMultipleRequest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The same request spelled for the Tea SDK model: JSON-text fields passed pre-serialised."""
    dump = wire.dump_json
    model = {
        "app_id": request.app_id,
        "workspace_id": request.workspace_id,
        "tenant_id": request.tenant_id,
        "task_name": request.task_name,
        "template_name": request.template_name,
        "delivery_type": request.delivery_type,
        "expired_seconds": request.expired_seconds,
        "extended_params": dump(request.extended_params),
        "notify_type": request.notify_type,
        "push_action": request.push_action,
        "silent": request.silent,
        "classification": request.classification,
        "strategy_type": request.strategy_type,
        "strategy_content": dump(request.strategy_content.to_json_object()),  # type: ignore[union-attr]
        # the SDK JSON-encodes these two maps itself
        "third_channel_category": dict(request.third_channel_category or {}),
        "notify_level": dict(request.notify_level or {}),
        "channel_id": request.channel_id,
        "mi_channel_id": request.mi_channel_id,
        "transparent_message_payload": dump(request.transparent_message_payload),
        "transparent_message_urgency": request.transparent_message_urgency,
        "activity_event": request.activity_event,
        "activity_content_state": dump(request.activity_content_state),
        "dismissal_date": request.dismissal_date,
    }
    targets = [
        {
            "target": t.target,
            "msg_key": t.msg_key,
            "template_key_value": dump(t.template_key_value),
            "extended_params": dump(t.extended_params) if t.extended_params else None,
        }
        for t in request.target_msgs
    ]
    return model, targets


def our_client(signature: str) -> MpaasClient:
    return MpaasClient(f"https://{v.HOST}", v.ACCESS_KEY_ID, v.SECRET, signature=signature, api_version="2020-07-10")  # type: ignore[arg-type]


def test_tea_v3_capture_reproduces_vector_c(monkeypatch: pytest.MonkeyPatch) -> None:
    model = {"app_id": "ONEX570DA89211721", "workspace_id": "test", "delivery_type": 3}
    model |= {"task_name": "Multiple test", "template_name": "Test template", "expired_seconds": 600}
    target = {"target": "userid1024", "msg_key": "1578807462788", "template_key_value": v.TEMPLATE_KV_JSON}
    sent = sdk.tea_push_multiple(
        monkeypatch,
        model_kwargs=model,
        targets=[target],
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
        host=v.HOST,
        signature="v3",
    )
    assert sent.body == v.B_BODY
    assert sent.headers["Authorization"] == v.C_AUTHORIZATION


def rich_request_from_both(
    monkeypatch: pytest.MonkeyPatch, signature: Literal["v1", "v3"]
) -> tuple[httpx.Request, sdk.TeaCapture]:
    """The request with every field as our client builds it and as the Tea SDK sends it, same nonce and clock."""
    request = rich_request()
    model, targets = tea_kwargs(request)
    sent = sdk.tea_push_multiple(
        monkeypatch,
        model_kwargs=model,
        targets=targets,
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
        host=v.HOST,
        signature=signature,
    )
    ours = our_client(signature).build_http_request(request, nonce=v.NONCE, timestamp=v.TIMESTAMP)
    return ours, sent


def test_v3_body_and_signature_equal_the_tea_sdk_for_a_request_with_every_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours, sent = rich_request_from_both(monkeypatch, "v3")
    assert ours.content == sent.body
    assert ours.headers["x-acs-content-sha256"] == sent.headers["x-acs-content-sha256"]

    # The SDK signs every header it sends; recomputing over its list must give its signature.
    _, signed, their_signature = signing.parse_v3_authorization(sent.headers["Authorization"])
    canonical = signing.v3_canonical_request("POST", "/", {}, sent.headers, signed, signing.sha256_hex(sent.body))
    assert signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical)) == their_signature

    # And over our smaller list, restricted to the same header values, we sign what the SDK would.
    _, our_signed, our_signature = signing.parse_v3_authorization(ours.headers["authorization"])
    canonical = signing.v3_canonical_request("POST", "/", {}, sent.headers, our_signed, signing.sha256_hex(sent.body))
    assert signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical)) == our_signature


def test_v1_query_and_signature_equal_the_tea_sdk_for_a_request_with_every_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours, sent = rich_request_from_both(monkeypatch, "v1")
    assert ours.content == sent.body
    assert dict(ours.url.params) == sent.query


def test_v1_signature_equals_the_legacy_sdk_including_its_extra_common_params(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = rich_request()
    fields = dict(wire.request_fields(request))
    legacy_setters = {
        "AppId": request.app_id,
        "WorkspaceId": request.workspace_id,
        "DeliveryType": request.delivery_type,
        "TaskName": request.task_name,
        "TemplateName": request.template_name,
        "ExpiredSeconds": request.expired_seconds,
    }
    # The legacy SDK has no setters for the newer fields; they go in as raw body params.
    extra = {k: val for k, val in fields.items() if k not in legacy_setters}
    sent = sdk.legacy_push_multiple(
        monkeypatch, setters=legacy_setters, extra_body=extra, nonce=v.NONCE, timestamp=v.TIMESTAMP
    )
    assert sent.body_params == fields
    assert wire.decode_form(sent.body) == fields
    params = {**sent.query, **fields}
    assert signing.v1_string_to_sign("POST", params) == sent.string_to_sign
    assert signing.v1_signature(v.SECRET, sent.string_to_sign) == sent.signature


def test_legacy_sdk_sends_a_python_repr_for_a_dict_which_our_encoding_never_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kv = {"money": "200", "name": "Zhang San"}
    sent = sdk.legacy_push_multiple(
        monkeypatch,
        setters={"TargetMsgs": [{"Target": "userid1024", "MsgKey": "1", "TemplateKeyValue": kv}]},
        extra_body={},
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
    )
    assert sent.body_params["TargetMsg.1.TemplateKeyValue"] == v.A2_TEMPLATE_KV_REPR
    ours = dict(wire.request_fields(rich_request()))
    assert all("'" not in value for key, value in ours.items() if key.endswith("TemplateKeyValue"))


param_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from("+*~% &=/😀"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(params=st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9._]{0,12}", fullmatch=True), param_text, max_size=8))
def test_v1_signature_equals_tea_rpc_signer_for_arbitrary_parameters(params: dict[str, str]) -> None:
    from alibabacloud_tea_openapi.utils import Utils

    ours = signing.v1_signature(v.SECRET, signing.v1_string_to_sign("POST", params))
    assert ours == Utils.get_rpcsignature(params, "POST", v.SECRET)


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=64), nonce=param_text, query=st.dictionaries(st.sampled_from(["a", "B", "c.d"]), param_text)
)
def test_v3_authorization_equals_tea_signer_for_arbitrary_inputs(
    body: bytes, nonce: str, query: dict[str, str]
) -> None:
    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.request import DaraRequest

    headers = {
        "host": "127.0.0.1:8765",
        "x-acs-action": "PushMultiple",
        "x-acs-version": "2019-08-21",
        "x-acs-date": v.TIMESTAMP,
        "x-acs-signature-nonce": nonce.strip(),
        "x-acs-content-sha256": signing.sha256_hex(body),
    }
    tea_request = DaraRequest()
    tea_request.method = "POST"
    tea_request.pathname = "/"
    tea_request.query = dict(query)
    tea_request.headers = dict(headers)
    theirs = Utils.get_authorization(
        tea_request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "testid", v.SECRET
    )
    canonical = signing.v3_canonical_request(
        "POST", "/", query, headers, list(headers), headers["x-acs-content-sha256"]
    )
    signature = signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical))
    assert signing.v3_authorization("testid", list(headers), signature) == theirs
