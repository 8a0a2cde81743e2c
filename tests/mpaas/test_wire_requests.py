"""Typed requests to form fields and back, plus round-trip properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushadmin.mpaas import errors, signing, wire
from pushadmin.mpaas.request_types import (
    CancelPushSchedulerRequest,
    PushMultipleRequest,
    QueryPushSchedulerListRequest,
    StrategyContent,
    TargetMsg,
)


def request(**kw: object) -> PushMultipleRequest:
    base: dict[str, object] = {
        "app_id": "A",
        "workspace_id": "W",
        "task_name": "T",
        "template_name": "N",
        "delivery_type": 3,
        "expired_seconds": 600,
        "target_msgs": [TargetMsg(target=f"u{i}", msg_key=f"k{i}") for i in range(1, 12)],
    }
    return PushMultipleRequest(**{**base, **kw})  # type: ignore[arg-type]


def test_targets_flatten_from_one_and_unset_fields_are_left_out() -> None:
    fields = dict(wire.request_fields(request()))
    assert fields["TargetMsg.1.Target"] == "u1"
    assert fields["TargetMsg.11.MsgKey"] == "k11"
    assert "TargetMsg.0.Target" not in fields
    assert not any(k.endswith("TemplateKeyValue") or k == "StrategyType" for k in fields)


def test_fields_are_sorted_by_name_like_the_tea_sdk() -> None:
    names = [name for name, _ in wire.request_fields(request())]
    assert names == sorted(names)
    assert names.index("TargetMsg.10.MsgKey") < names.index("TargetMsg.2.MsgKey")


def test_maps_and_strategy_are_compact_json_keeping_unicode() -> None:
    strategy = StrategyContent(start_time=1, end_time=2, circle_type=2, circle_value=(1, 7), time="09:00:00")
    fields = dict(
        wire.request_fields(
            request(
                extended_params={"名": "值 😀"},
                strategy_type=2,
                strategy_content=strategy,
                notify_level={"oppo": "2"},
                transparent_message_payload={"hms": {"a": "1"}},
            )
        )
    )
    assert fields["ExtendedParams"] == '{"名":"值 😀"}'
    assert (
        fields["StrategyContent"] == '{"startTime":1,"endTime":2,"circleType":2,"circleValue":[1,7],"time":"09:00:00"}'
    )
    assert fields["NotifyLevel"] == '{"oppo":"2"}'
    assert fields["TransparentMessagePayload"] == '{"hms":{"a":"1"}}'
    assert fields["StrategyType"] == "2"


def test_wrong_python_types_are_refused_rather_than_sent_as_repr() -> None:
    with pytest.raises(TypeError):
        wire.request_fields(request(extended_params='{"a":"b"}'))
    with pytest.raises(TypeError):
        wire.request_fields(request(delivery_type=True))
    with pytest.raises(TypeError):
        wire.request_fields(CancelPushSchedulerRequest(app_id="A", workspace_id="W", unique_ids="u1,u2"))


def test_companion_requests_encode_their_fields() -> None:
    cancel = CancelPushSchedulerRequest(app_id="A", workspace_id="W", unique_ids=["u1", "u2"], tenant_id="T")
    assert wire.request_fields(cancel) == [
        ("AppId", "A"),
        ("TenantId", "T"),
        ("UniqueIds", "u1,u2"),
        ("WorkspaceId", "W"),
    ]
    query = QueryPushSchedulerListRequest(app_id="A", workspace_id="W", start_time=1, end_time=2, page_number=1)
    assert dict(wire.request_fields(query)) == {
        "AppId": "A",
        "WorkspaceId": "W",
        "StartTime": "1",
        "EndTime": "2",
        "PageNumber": "1",
    }


def test_parse_request_reads_back_what_was_encoded() -> None:
    original = request(
        target_msgs=[TargetMsg(target="u1", msg_key="k1", template_key_value={"n": "v"}, extended_params={"e": "1"})],
        strategy_type=1,
        strategy_content=StrategyContent(fixed_time=5),
        activity_content_state={"x": [1, 2]},
        dismissal_date=10,
    )
    parsed = wire.parse_request("PushMultiple", wire.decode_form(wire.encode_request(original)))
    assert parsed == PushMultipleRequest(**{**original.__dict__, "target_msgs": tuple(original.target_msgs)})


def test_parse_request_reports_a_python_repr_template_value_as_not_json() -> None:
    data = dict(wire.request_fields(request(target_msgs=[TargetMsg(target="u", msg_key="k")])))
    data["TargetMsg.1.TemplateKeyValue"] = "{'money': '200', 'name': 'Zhang San'}"
    with pytest.raises(wire.WireFormatError) as caught:
        wire.parse_request("PushMultiple", data)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("TargetMsg.1.TemplateKeyValue", "is not valid JSON text.")
    ]


def test_parse_request_reports_missing_and_malformed_fields_by_path() -> None:
    data = {
        "AppId": "A",
        "DeliveryType": "three",
        "TargetMsg.1.Target": "u",
        "TargetMsg.3.Target": "v",
        "StrategyContent": '{"fixedTime":"soon"}',
    }
    with pytest.raises(wire.WireFormatError) as caught:
        wire.parse_request("PushMultiple", data)
    fields = {p.field for p in caught.value.problems}
    assert {
        "WorkspaceId",
        "TaskName",
        "TemplateName",
        "DeliveryType",
        "ExpiredSeconds",
        "TargetMsg",
        "TargetMsg.1.MsgKey",
        "StrategyContent.fixedTime",
    } <= fields


def test_parse_request_of_companion_actions() -> None:
    parsed = wire.parse_request(
        "CancelPushScheduler", {"AppId": "A", "WorkspaceId": "W", "UniqueIds": "u1,u2", "Type": "1"}
    )
    assert parsed == CancelPushSchedulerRequest(app_id="A", workspace_id="W", unique_ids=("u1", "u2"), type=1)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert errors.parse_retry_after("3", now) == 3.0
    assert errors.parse_retry_after("Thu, 26 Nov 2026 08:00:30 GMT", now) == 30.0
    assert errors.parse_retry_after("Thu, 26 Nov 2026 07:00:00 GMT", now) == 0.0
    assert errors.parse_retry_after("soon", now) is None
    assert errors.parse_retry_after(None, now) is None


def test_every_reference_code_has_a_plain_meaning() -> None:
    codes = "100 -1 3001 3002 3003 3007 3008 3009 3012 3019 3020 3021 3022 3023 3024 3025 3026 3028 3029 3030"
    codes += " 3031 3032 3033 3035 3036 3037 3038 3039 3040 3041 3042 3043 3044 8011 8012 8013 8014 9000"
    for code in codes.split():
        assert errors.meaning_of(code), code


# ---------------------------------------------------------------- properties

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(["+", "*", "~", "%", " ", "😀", "&", "="]),
    max_size=30,
)


@settings(max_examples=200)
@given(st.dictionaries(text.filter(bool), text, max_size=10))
def test_form_encode_decode_round_trips(fields: dict[str, str]) -> None:
    assert wire.decode_form(wire.encode_form(list(fields.items()))) == fields


@settings(max_examples=100)
@given(
    st.lists(st.tuples(text, text.filter(bool)), min_size=1, max_size=15, unique_by=lambda t: t[1]),
    st.dictionaries(text, text, max_size=5),
)
def test_typed_request_round_trips_through_the_wire(targets: list[tuple[str, str]], params: dict[str, str]) -> None:
    original = request(
        target_msgs=tuple(TargetMsg(target=t, msg_key=k, template_key_value=params) for t, k in targets),
        extended_params=params,
        task_name=targets[0][0] or "t",
    )
    parsed = wire.parse_request("PushMultiple", wire.decode_form(wire.encode_request(original)))
    assert parsed == original


@settings(max_examples=100)
@given(st.dictionaries(text, text, max_size=8), text, st.sampled_from(["v1", "v3"]))
def test_a_signature_verifies_and_any_changed_value_breaks_it(params: dict[str, str], secret: str, scheme: str) -> None:
    body = wire.encode_form(sorted(params.items()))
    received = wire.decode_form(body)
    if scheme == "v1":
        sign = lambda p: signing.v1_signature(secret, signing.v1_string_to_sign("POST", p))  # noqa: E731
        assert sign(received) == sign(params)
        tampered = {**received, "X": received.get("X", "") + "~"}
        assert sign(tampered) != sign(params)
    else:
        headers = signing.v3_sign_headers(
            access_key_id="id",
            secret=secret,
            host="127.0.0.1:8765",
            action="PushMultiple",
            version="2019-08-21",
            body=body,
            nonce="n 😀",
            timestamp="2026-11-26T08:00:00Z",
        )
        _, signed, signature = signing.parse_v3_authorization(headers["Authorization"])
        canonical = signing.v3_canonical_request("POST", "/", {}, headers, signed, signing.sha256_hex(body))
        assert signing.v3_signature(secret, signing.v3_string_to_sign(canonical)) == signature
        forged = signing.v3_canonical_request("POST", "/", {}, headers, signed, signing.sha256_hex(body + b"&"))
        assert signing.v3_signature(secret, signing.v3_string_to_sign(forged)) != signature
