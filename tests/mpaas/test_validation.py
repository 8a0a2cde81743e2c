"""Every rule checked before a PushMultiple is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pushadmin.mpaas import validation as val
from pushadmin.mpaas.request_types import (
    CancelPushSchedulerRequest,
    PushMultipleRequest,
    QueryPushSchedulerListRequest,
    StrategyContent,
    TargetMsg,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-26 10:00 in Shanghai; "today 00:00" there is 2026-11-25T16:00Z.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[arg-type, misc]


def target(i: int, **kw: Any) -> TargetMsg:
    return TargetMsg(target=f"user{i}", msg_key=f"k{i}", template_key_value={"name": "Zhang San"}, **kw)


def valid(**changes: Any) -> PushMultipleRequest:
    base = PushMultipleRequest(
        app_id="ONEX570DA89211721",
        workspace_id="test",
        task_name="Multiple test",
        template_name="Test template",
        delivery_type=3,
        expired_seconds=600,
        target_msgs=[target(1), target(2)],
    )
    return replace(base, **changes)


def problems(request: PushMultipleRequest, **kw: Any) -> dict[str, str]:
    return {p.field: p.message for p in val.validate_push_multiple(request, now=NOW, **kw)}


def loop(**kw: Any) -> PushMultipleRequest:
    content = {
        "start_time": ms(shanghai(2026, 11, 26)),
        "end_time": ms(shanghai(2026, 12, 31)),
        "circle_type": val.CIRCLE_DAILY,
        "time": "09:30:00",
        **kw,
    }
    return valid(strategy_type=2, strategy_content=StrategyContent(**content))


def test_a_well_formed_request_has_no_problems() -> None:
    assert problems(valid()) == {}


def test_limits_are_exported_for_the_sandbox_and_the_campaign_builder() -> None:
    assert val.MAX_TARGETS_PER_CALL == 100
    assert val.MAX_EXPIRED_SECONDS == 259_200
    assert val.MAX_EXTENDED_PARAM_KEYS == 20
    assert {1, 2, 3, 7} == val.DELIVERY_TYPES


@pytest.mark.parametrize("name", ["app_id", "workspace_id", "task_name", "template_name"])
def test_required_text_fields_must_not_be_blank(name: str) -> None:
    wire_name = {"app_id": "AppId", "workspace_id": "WorkspaceId", "task_name": "TaskName"}.get(name, "TemplateName")
    assert problems(valid(**{name: "  "})) == {wire_name: "is required."}


def test_template_name_must_not_contain_commas() -> None:
    assert problems(valid(template_name="a,b")) == {"TemplateName": "must not contain commas."}


@pytest.mark.parametrize("count", [0, 101])
def test_a_call_takes_one_to_one_hundred_targets(count: int) -> None:
    found = problems(valid(target_msgs=[target(i) for i in range(count)]))
    assert list(found) == ["TargetMsg"]


def test_one_hundred_targets_are_fine() -> None:
    assert problems(valid(target_msgs=[target(i) for i in range(100)])) == {}


def test_msg_keys_must_be_unique_within_the_request() -> None:
    targets = [target(1), target(2), TargetMsg(target="user3", msg_key="k1")]
    assert problems(valid(target_msgs=targets)) == {
        "TargetMsg.3.MsgKey": "repeats the MsgKey of TargetMsg.1; each message needs its own."
    }


def test_target_and_msg_key_are_required_per_target() -> None:
    found = problems(valid(target_msgs=[TargetMsg(target="", msg_key=" ")]))
    assert set(found) == {"TargetMsg.1.Target", "TargetMsg.1.MsgKey"}


def test_template_values_must_be_text() -> None:
    bad = target(3, extended_params=None)
    bad = replace(bad, template_key_value={"money": 200, "name": "x"})
    found = problems(valid(target_msgs=[target(1), target(2), bad]))
    assert found == {"TargetMsg.3.TemplateKeyValue": "values must be text; not text for: money."}


def test_template_values_must_be_a_json_object() -> None:
    bad = replace(target(1), template_key_value=["a"])  # type: ignore[arg-type]
    assert "TargetMsg.1.TemplateKeyValue" in problems(valid(target_msgs=[bad]))


def test_extended_params_values_must_be_text() -> None:
    assert list(problems(valid(extended_params={"a": {"nested": "x"}}))) == ["ExtendedParams"]


def test_extended_params_take_at_most_twenty_keys() -> None:
    assert problems(valid(extended_params={f"k{i}": "v" for i in range(20)})) == {}
    found = problems(valid(extended_params={f"k{i}": "v" for i in range(21)}))
    assert found == {"ExtendedParams": "has 21 keys; at most 20 are allowed."}


def test_request_and_target_extended_params_together_take_at_most_twenty_keys() -> None:
    shared = {f"s{i}": "v" for i in range(15)}
    own = target(1, extended_params={f"t{i}": "v" for i in range(6)})
    found = problems(valid(extended_params=shared, target_msgs=[own]))
    assert list(found) == ["TargetMsg.1.ExtendedParams"]


@pytest.mark.parametrize("key", sorted(val.RESERVED_EXTENDED_PARAM_KEYS))
def test_reserved_extension_keys_are_refused(key: str) -> None:
    assert problems(valid(extended_params={key: "x"})) == {
        "ExtendedParams": f"uses keys reserved by the push service: {key}."
    }
    own = target(1, extended_params={key: "x"})
    assert list(problems(valid(target_msgs=[own]))) == ["TargetMsg.1.ExtendedParams"]


def test_user_settable_reserved_keys_like_sound_and_badge_are_allowed() -> None:
    assert problems(valid(extended_params={"sound": "a.caf", "badge": "1", "mutable-content": "1"})) == {}


@pytest.mark.parametrize(("seconds", "ok"), [(0, False), (1, True), (259_200, True), (259_201, False)])
def test_expired_seconds_is_one_second_to_seventy_two_hours(seconds: int, ok: bool) -> None:
    assert ("ExpiredSeconds" not in problems(valid(expired_seconds=seconds))) is ok


@pytest.mark.parametrize(
    ("delivery_type", "ok"), [(1, True), (2, True), (3, True), (7, True), (5, False), (6, False), (0, False)]
)
def test_delivery_type_is_android_ios_user_or_harmony(delivery_type: int, ok: bool) -> None:
    assert ("DeliveryType" not in problems(valid(delivery_type=delivery_type))) is ok


def test_vendor_maps_need_text_values() -> None:
    found = problems(valid(third_channel_category={"hms": 9}, notify_level={"oppo": "2"}))
    assert list(found) == ["ThirdChannelCategory"]


# ------------------------------------------------------------------ strategy


def test_unknown_strategy_type_is_refused() -> None:
    assert list(problems(valid(strategy_type=3))) == ["StrategyType"]


def test_immediate_push_needs_no_strategy_content() -> None:
    assert problems(valid(strategy_type=0)) == {}


@pytest.mark.parametrize("strategy_type", [1, 2])
def test_scheduled_and_loop_pushes_need_strategy_content(strategy_type: int) -> None:
    assert list(problems(valid(strategy_type=strategy_type))) == ["StrategyContent"]


def test_scheduled_push_needs_a_fixed_time_in_the_future() -> None:
    future = StrategyContent(fixed_time=ms(NOW + timedelta(minutes=5)))
    past = StrategyContent(fixed_time=ms(NOW - timedelta(seconds=1)))
    assert problems(valid(strategy_type=1, strategy_content=future)) == {}
    assert problems(valid(strategy_type=1, strategy_content=past)) == {
        "StrategyContent.fixedTime": "must be in the future."
    }
    assert list(problems(valid(strategy_type=1, strategy_content=StrategyContent()))) == ["StrategyContent.fixedTime"]


def test_a_daily_loop_from_today_is_fine() -> None:
    assert problems(loop()) == {}


def test_loop_start_may_be_today_midnight_in_shanghai_but_not_earlier() -> None:
    assert problems(loop(start_time=ms(shanghai(2026, 11, 26, 0, 0)))) == {}
    found = problems(loop(start_time=ms(shanghai(2026, 11, 25, 23, 59))))
    assert list(found) == ["StrategyContent.startTime"]


def test_the_time_zone_decides_where_today_begins() -> None:
    # 2026-11-25T20:00Z is 04:00 on the 26th in Shanghai (today), but still yesterday in UTC.
    start = ms(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    assert "StrategyContent.startTime" not in problems(loop(start_time=start))
    assert "StrategyContent.startTime" in problems(loop(start_time=start), tz="UTC")


def test_loop_end_must_not_be_before_today_or_before_start() -> None:
    found = problems(loop(start_time=ms(shanghai(2026, 12, 2)), end_time=ms(shanghai(2026, 12, 1))))
    assert found == {"StrategyContent.endTime": "must not be before startTime."}
    assert "StrategyContent.endTime" in problems(loop(end_time=ms(shanghai(2026, 11, 20))))


def test_loop_end_is_at_most_180_days_after_today() -> None:
    last = shanghai(2026, 11, 26) + timedelta(days=180)
    assert problems(loop(end_time=ms(last.replace(hour=23)))) == {}
    found = problems(loop(end_time=ms(last + timedelta(days=1))))
    assert list(found) == ["StrategyContent.endTime"]
    assert "180 days" in found["StrategyContent.endTime"]


@pytest.mark.parametrize("time", ["9:30:00", "24:00:00", "09:60:00", "09:30", "09:30:00.0", ""])
def test_loop_time_must_be_hh_mm_ss(time: str) -> None:
    assert list(problems(loop(time=time))) == ["StrategyContent.time"]


def test_loop_needs_start_end_time_and_circle_type() -> None:
    content = StrategyContent()
    found = problems(valid(strategy_type=2, strategy_content=content))
    assert set(found) == {
        "StrategyContent.startTime",
        "StrategyContent.endTime",
        "StrategyContent.time",
        "StrategyContent.circleType",
    }


@pytest.mark.parametrize(
    ("circle_type", "circle_value", "ok"),
    [
        (1, None, True),
        (2, (1, 7), True),
        (2, (0,), False),
        (2, (8,), False),
        (2, (), False),
        (2, None, False),
        (3, (1, 31), True),
        (3, (32,), False),
        (4, (1,), False),
    ],
)
def test_circle_type_and_values_agree(circle_type: int, circle_value: tuple[int, ...] | None, ok: bool) -> None:
    assert (problems(loop(circle_type=circle_type, circle_value=circle_value)) == {}) is ok


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        val.validate_push_multiple(valid(), now=datetime(2026, 1, 1))


# ------------------------------------------------------------- live activity


@pytest.mark.parametrize(("event", "ok"), [("update", True), ("end", True), ("start", False)])
def test_activity_event_is_update_or_end(event: str, ok: bool) -> None:
    assert (problems(valid(activity_event=event)) == {}) is ok


def test_dismissal_date_only_with_end_and_in_seconds() -> None:
    seconds = int(NOW.timestamp()) + 3600
    assert problems(valid(activity_event="end", dismissal_date=seconds)) == {}
    assert list(problems(valid(activity_event="update", dismissal_date=seconds))) == ["DismissalDate"]
    assert list(problems(valid(dismissal_date=seconds))) == ["DismissalDate"]
    found = problems(valid(activity_event="end", dismissal_date=seconds * 1000))
    assert found == {"DismissalDate": "looks like milliseconds; it must be epoch seconds."}


def test_activity_content_state_needs_an_activity_event() -> None:
    assert list(problems(valid(activity_content_state={"a": 1}))) == ["ActivityContentState"]
    assert problems(valid(activity_event="update", activity_content_state={"a": 1})) == {}


# ------------------------------------------------------------ companion APIs


def test_cancel_needs_ids_without_commas() -> None:
    ok = CancelPushSchedulerRequest(app_id="A", workspace_id="W", unique_ids=["u1"])
    assert val.validate_cancel_push_scheduler(ok) == []
    assert [p.field for p in val.validate_cancel_push_scheduler(replace(ok, unique_ids=[]))] == ["UniqueIds"]
    assert [p.field for p in val.validate_cancel_push_scheduler(replace(ok, unique_ids=["a,b"]))] == ["UniqueIds"]


def test_query_needs_an_ordered_range_and_positive_pages() -> None:
    ok = QueryPushSchedulerListRequest(app_id="A", workspace_id="W", start_time=1, end_time=2)
    assert val.validate_query_push_scheduler_list(ok) == []
    bad = replace(ok, start_time=3, page_number=0, page_size=0)
    assert [p.field for p in val.validate_query_push_scheduler_list(bad)] == ["EndTime", "PageNumber", "PageSize"]
