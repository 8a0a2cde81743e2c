"""PushMultiple business validation: each bad field gets its mPaaS result code."""

from __future__ import annotations

import json
import time

import pytest

from tests.sandbox.conftest import Sandbox, call_v3, push_fields

TWENTY_ONE = json.dumps({f"k{i}": "v" for i in range(21)})


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"AppId": None}, "3003"),
        ({"WorkspaceId": ""}, "3003"),
        ({"TaskName": None}, "3019"),
        ({"TaskName": "  "}, "3019"),
        ({"TemplateName": None}, "3025"),
        ({"TemplateName": "no-such-template"}, "3022"),
        ({"TemplateName": "a,b"}, "3028"),
        ({"DeliveryType": "4"}, "3009"),
        ({"DeliveryType": "x"}, "3009"),
        ({"ExpiredSeconds": "0"}, "3020"),
        ({"ExpiredSeconds": "ten"}, "3020"),
        ({"ExpiredSeconds": "259201"}, "3026"),
        ({"NotifyType": "loud"}, "3028"),
        ({"PushAction": "2"}, "3028"),
        ({"Silent": "yes"}, "3028"),
        ({"ExtendedParams": "not json"}, "3044"),
        ({"ExtendedParams": '{"taskId":"1"}'}, "3044"),
        ({"ExtendedParams": TWENTY_ONE}, "3035"),
        ({"ThirdChannelCategory": '{"hms":9}'}, "3028"),
        ({"StrategyType": "3"}, "3028"),
        ({"StrategyType": "1"}, "3028"),
        ({"StrategyType": "1", "StrategyContent": '{"fixedTime":1000}'}, "3028"),
    ],
)
def test_bad_parameter_gets_its_result_code(sandbox: Sandbox, overrides: dict[str, str | None], code: str) -> None:
    response = call_v3(sandbox, push_fields(**overrides))

    body = response.json()
    assert response.status_code == 200
    assert body["ResultCode"] == code
    assert body["PushResult"] == {"Success": False, "ResultMsg": body["ResultMessage"], "Data": ""}
    assert sandbox.stats()["rejectedByCode"] == {code: 1}


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ('{"name":"Zhang San"}', "3023"),
        (None, "3023"),
        ("{'money': '200', 'name': 'Zhang San'}", "3028"),
        ('{"money":200,"name":"Zhang San"}', "3028"),
        ('["money","name"]', "3028"),
    ],
)
def test_template_values_must_cover_every_placeholder(sandbox: Sandbox, values: str | None, code: str) -> None:
    assert call_v3(sandbox, push_fields(values=values)).json()["ResultCode"] == code


def test_target_and_msgkey_are_required(sandbox: Sandbox) -> None:
    no_target = [f for f in push_fields() if not f[0].endswith(".Target")]
    no_key = [f for f in push_fields() if not f[0].endswith(".MsgKey")]

    assert call_v3(sandbox, no_target).json()["ResultCode"] == "3021"
    assert call_v3(sandbox, no_key).json()["ResultCode"] == "3028"
    assert call_v3(sandbox, push_fields(0)).json()["ResultCode"] == "3021"


def test_msgkey_repeated_inside_one_call_is_refused(sandbox: Sandbox) -> None:
    fields = [(k, "same" if k.endswith(".MsgKey") else v) for k, v in push_fields(2)]

    assert call_v3(sandbox, fields).json()["ResultCode"] == "3028"


def test_per_target_extended_params_count_with_the_shared_ones(sandbox: Sandbox) -> None:
    shared = json.dumps({f"s{i}": "v" for i in range(15)})
    own = json.dumps({f"t{i}": "v" for i in range(6)})
    fields = [*push_fields(ExtendedParams=shared), ("TargetMsg.1.ExtendedParams", own)]

    assert call_v3(sandbox, fields).json()["ResultCode"] == "3035"


def test_app_restriction_refuses_other_apps(start_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = start_sandbox("--app", "ONEX570DA89211721:test")

    assert call_v3(sandbox, push_fields()).json()["ResultCode"] == "OK"
    assert call_v3(sandbox, push_fields(WorkspaceId="prod")).json()["ResultCode"] == "8012"


def test_loop_push_is_validated_and_listed(sandbox: Sandbox) -> None:
    now = int(time.time() * 1000)
    good = {"startTime": now, "endTime": now + 5 * 86_400_000, "circleType": 2,
            "circleValue": [1, 7], "time": "13:45:11"}  # fmt: skip
    too_long = {**good, "endTime": now + 200 * 86_400_000}
    bad_days = {**good, "circleValue": [8]}

    accepted = call_v3(sandbox, push_fields(StrategyType="2", StrategyContent=json.dumps(good)))

    assert accepted.json()["ResultCode"] == "OK"
    for content in (too_long, bad_days, {**good, "time": "25:00:00"}):
        refused = call_v3(sandbox, push_fields(StrategyType="2", StrategyContent=json.dumps(content)))
        assert refused.json()["ResultCode"] == "3028"
    listed = call_v3(
        sandbox,
        [("AppId", "ONEX570DA89211721"), ("WorkspaceId", "test"),
         ("StartTime", str(now - 1)), ("EndTime", str(now + 1))],
        action="QueryPushSchedulerList",
    ).json()  # fmt: skip
    assert listed["ResultContent"]["Data"]["TotalCount"] == 1
    assert listed["ResultContent"]["Data"]["List"][0]["StrategyType"] == 2


def test_at_most_100_pending_schedules_per_app(start_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = start_sandbox("--max-pending-schedules", "3")
    later = json.dumps({"fixedTime": int(time.time() * 1000) + 3_600_000})

    codes = [
        call_v3(sandbox, push_fields(StrategyType="1", StrategyContent=later)).json()["ResultCode"] for _ in range(4)
    ]
    other_app = call_v3(sandbox, push_fields(AppId="OTHER", StrategyType="1", StrategyContent=later)).json()[
        "ResultCode"
    ]

    assert codes == ["OK", "OK", "OK", "3028"]
    assert other_app == "OK"


def test_cancelling_an_unknown_task_is_refused(sandbox: Sandbox) -> None:
    response = call_v3(
        sandbox,
        [("AppId", "A"), ("WorkspaceId", "w"), ("UniqueIds", "nope")],
        action="CancelPushScheduler",
    )

    assert response.json()["ResultCode"] == "3028"
