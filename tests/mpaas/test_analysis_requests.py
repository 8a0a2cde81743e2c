"""The analysis calls and PushQueryDeviceState on the wire: names, rules, answers, and parity with the Tea SDK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pushadmin.mpaas import analysis, signing, wire
from pushadmin.mpaas.request_types import (
    ApiRequest,
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
)

from . import sdk_capture as sdk
from . import vectors as v

APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TODAY = analysis.day_start_ms(NOW)
DAY = analysis.DAY_MS
TRICKY = "Spring + 春 😀 a&b=c"


def core(**changes: Any) -> QueryPushAnalysisCoreIndexRequest:
    values: dict[str, Any] = {**APP, "start_time": TODAY - 6 * DAY, "end_time": TODAY}
    return QueryPushAnalysisCoreIndexRequest(**{**values, **changes})


def test_core_index_sends_the_wire_names_and_reads_back_the_same() -> None:
    request = core(platform="ANDROID", channel="MIUI", type="MULTIPLE", task_id="abc", tenant_id="T")
    fields = dict(wire.request_fields(request))
    assert fields == {
        "AppId": "ONEX570DA89211721",
        "Channel": "MIUI",
        "EndTime": str(TODAY),
        "Platform": "ANDROID",
        "StartTime": str(TODAY - 6 * DAY),
        "TaskId": "abc",
        "TenantId": "T",
        "Type": "MULTIPLE",
        "WorkspaceId": "test",
    }
    assert wire.parse_request(request.ACTION, wire.decode_form(wire.encode_request(request))) == request


def test_a_range_of_whole_days_up_to_ninety_is_fine() -> None:
    assert analysis.validate_core_index(core(start_time=TODAY - 89 * DAY)) == []
    assert analysis.validate_core_index(core(start_time=TODAY, end_time=TODAY)) == []


def test_a_range_longer_than_ninety_days_is_refused_naming_its_length() -> None:
    problems = analysis.validate_core_index(core(start_time=TODAY - 90 * DAY))
    assert [(p.field, p.message) for p in problems] == [("EndTime", "is 91 days after StartTime; at most 90.")]


def test_times_inside_a_day_are_refused_because_figures_are_kept_by_day() -> None:
    problems = analysis.validate_core_index(core(start_time=TODAY + 3_600_000, end_time=TODAY - DAY))
    assert [p.field for p in problems] == ["StartTime", "EndTime"]
    assert "00:00 of a day" in problems[0].message


def test_unknown_platform_channel_and_type_are_named() -> None:
    problems = analysis.validate_core_index(core(platform="WINDOWS", channel="APNS", type="PUSH"))
    assert [p.field for p in problems] == ["Platform", "Channel", "Type"]
    assert "HONOR" in problems[1].message and "MIUI" in problems[1].message


def test_task_list_start_must_be_within_ninety_days_and_pages_bounded() -> None:
    ok = QueryPushAnalysisTaskListRequest(**APP, start_time=TODAY - 89 * DAY, task_name="b1")
    assert analysis.validate_task_list(ok, now=NOW) == []
    old = QueryPushAnalysisTaskListRequest(**APP, start_time=TODAY - 95 * DAY, page_size=501, task_name=" ")
    assert [p.field for p in analysis.validate_task_list(old, now=NOW)] == ["StartTime", "TaskName", "PageSize"]


def test_detail_and_device_state_need_their_ids() -> None:
    assert [p.field for p in analysis.validate_task_detail(QueryPushAnalysisTaskDetailRequest(**APP, task_id=""))] == [
        "TaskId"
    ]
    state = PushQueryDeviceStateRequest(**APP, target="", target_type=4)
    assert [p.field for p in analysis.validate_device_state(state)] == ["Target", "TargetType"]


# ------------------------------------------------------------------ answers


def test_core_index_counts_sent_as_floats_read_as_whole_numbers() -> None:
    body = {
        "ResultCode": "OK",
        "ResultContent": {
            "Data": {
                "PushTotalNum": 100.0,
                "PushNum": 98.0,
                "ArrivalNum": 90.0,
                "OpenNum": 12.0,
                "IgnoreNum": 78.0,
                "OpenRate": 0.1333,
                "IgnoreRate": 0.8667,
            }
        },
    }
    read = analysis.core_index(body)
    assert read == analysis.CoreIndex(
        push_total=100, pushed=98, arrived=90, opened=12, ignored=78, open_rate=0.1333, ignore_rate=0.8667
    )
    assert analysis.core_index({"ResultContent": {"Data": {"PushTotalNum": 1.5}}}) is None


def test_task_list_reads_tasks_with_their_sub_tasks() -> None:
    body = {
        "ResultContent": {
            "Data": [
                {
                    "TaskId": "p1",
                    "TaskName": "loop",
                    "Type": 2,
                    "GmtCreate": 5,
                    "List": [{"TaskId": "p1-1", "TaskName": "loop", "GmtCreate": 6}],
                }
            ]
        }
    }
    (task,) = analysis.task_list(body) or ()
    assert task.task_id == "p1" and [s.task_id for s in task.sub_tasks] == ["p1-1"]
    assert analysis.task_list({"ResultContent": {"Data": "nope"}}) is None


def test_device_state_leaves_the_tokens_out() -> None:
    state = analysis.device_state(
        {"Data": {"Platform": "ANDROID", "Manufacturer": "xiaomi", "DeliveryToken": "secret-token", "Statue": "1"}}
    )
    assert state == analysis.DeviceState(
        platform="ANDROID", manufacturer="xiaomi", device_id=None, user_id=None, status="1"
    )
    assert "secret-token" not in repr(state)


# ------------------------------------------------------------------ the official SDK

SDK_REQUESTS = [
    pytest.param(
        QueryPushAnalysisTaskListRequest(
            **APP, start_time=TODAY - DAY, task_name=TRICKY, task_id="7", page_number=2, page_size=50, tenant_id="T"
        ),
        id="QueryPushAnalysisTaskList",
    ),
    pytest.param(QueryPushAnalysisTaskDetailRequest(**APP, task_id="1234", tenant_id="T"), id="TaskDetail"),
    pytest.param(core(platform="IOS", channel="IOS", type="MULTIPLE", task_id="42", tenant_id="T"), id="CoreIndex"),
    pytest.param(PushQueryDeviceStateRequest(**APP, target=TRICKY, target_type=3, tenant_id="T"), id="DeviceState"),
]


@pytest.mark.parametrize("request_", SDK_REQUESTS)
def test_v3_body_and_signature_equal_the_tea_sdk(monkeypatch: pytest.MonkeyPatch, request_: ApiRequest) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v3")
    assert ours.content == sent.body
    assert sent.headers["x-acs-action"] == ours.headers["x-acs-action"] == request_.ACTION
    assert ours.headers["x-acs-content-sha256"] == sent.headers["x-acs-content-sha256"]
    _, our_signed, our_signature = signing.parse_v3_authorization(ours.headers["authorization"])
    canonical = signing.v3_canonical_request("POST", "/", {}, sent.headers, our_signed, signing.sha256_hex(sent.body))
    assert signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical)) == our_signature


@pytest.mark.parametrize("request_", SDK_REQUESTS)
def test_v1_body_query_and_signature_equal_the_tea_sdk(monkeypatch: pytest.MonkeyPatch, request_: ApiRequest) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v1")
    assert ours.content == sent.body
    assert dict(ours.url.params) == sent.query
    assert sent.query["Action"] == request_.ACTION


def test_day_start_is_midnight_in_china_time() -> None:
    # 2026-11-26 08:00 UTC is 16:00 in UTC+8; that day began at 2026-11-25 16:00 UTC.
    assert int(datetime(2026, 11, 25, 16, 0, tzinfo=UTC).timestamp() * 1000) == TODAY
    assert analysis.day_start_ms(NOW + timedelta(hours=8)) == TODAY + DAY
