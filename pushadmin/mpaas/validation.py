"""Checks run before anything is sent, so a bad campaign fails in the builder, not at Alibaba.

Every function returns a list of :class:`Problem` (empty means fine) with the wire
path of the field (``TargetMsg.3.TemplateKeyValue``) and a plain-English message.
The limits are module constants because the sandbox and the campaign builder
enforce the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .request_types import (
    CancelPushSchedulerRequest,
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
    PushMultipleRequest,
    QueryPushSchedulerListRequest,
    RevokePushTaskRequest,
    StrategyContent,
)

MIN_TARGETS_PER_CALL = 1
MAX_TARGETS_PER_CALL = 100
MIN_EXPIRED_SECONDS = 1
MAX_EXPIRED_SECONDS = 259_200  # 72 h, the SDK metadata maximum
DELIVERY_TYPES = frozenset({1, 2, 3, 7})  # Android device, iOS device, user id, HarmonyOS device
DELIVERY_TYPE_USER_ID = 3
MAX_EXTENDED_PARAM_KEYS = 20  # beyond this the service answers 3035 EXTEND_PARAM_TO_MUCH
RESERVED_EXTENDED_PARAM_KEYS = frozenset(
    {"notifyType", "action", "silent", "pushType", "templateCode", "channel", "taskId"}
)
STRATEGY_IMMEDIATE = 0
STRATEGY_SCHEDULED = 1
STRATEGY_LOOP = 2
STRATEGY_TYPES = frozenset({STRATEGY_IMMEDIATE, STRATEGY_SCHEDULED, STRATEGY_LOOP})
CIRCLE_DAILY = 1
CIRCLE_WEEKLY = 2
CIRCLE_MONTHLY = 3
CIRCLE_VALUE_RANGES: dict[int, tuple[int, int]] = {
    CIRCLE_WEEKLY: (1, 7),
    CIRCLE_MONTHLY: (1, 31),
}
MAX_LOOP_DAYS_AHEAD = 180
# "The default maximum number of unexecuted scheduled or loop push tasks is 100" (the PushMultiple
# page, reference/seed-pushmultiple.txt); each call of a fixed-time or loop campaign is one task.
MAX_UNEXECUTED_SCHEDULED_TASKS = 100
# Per-message length caps (characters, after placeholders are filled). mPaaS documents none of them
# (reference §8, open question 6); all it says is that an over-long message is refused with 3043
# SINGLE_PUSH_CONTENT_TOO_LONG and takes its whole call with it. These values are ours: the sandbox
# refuses above them, and pre-flight names each row above them before review, so the two agree.
# The vendors' own display limits are lower (rendering.VENDOR_LIMITS) but only cut the text on the phone.
MAX_TITLE_LENGTH = 200
MAX_CONTENT_LENGTH = 4000
MAX_TARGET_LENGTH = 256
MAX_MSG_KEY_LENGTH = 128
MAX_TASK_NAME_LENGTH = 256
# Template fields: mPaaS names codes for an empty or invalid name (3037/3038), content (3039), title
# (3040), description (3041) and URI (3042) but documents no lengths. The name cap is ours (the
# console's name field holds 100); title and content share the push caps above, so a template
# we create can always be sent; the description cap is ours too.
MAX_TEMPLATE_NAME_LENGTH = 100
MAX_TEMPLATE_DESC_LENGTH = 200
TEMPLATE_SHOW_STYLES = frozenset({0, 1})  # 0 normal, 1 silent
TEMPLATE_PUSH_STYLES = frozenset({0, 1, 2})  # 0 default, 1 big text, 2 image and text
DEFAULT_STRATEGY_TIMEZONE = "Asia/Shanghai"
ACTIVITY_EVENTS = frozenset({"update", "end"})
ACTIVITY_EVENT_END = "end"
# A seconds epoch stays below this until the year 5138; a milliseconds value is far above.
MAX_SECONDS_EPOCH = 100_000_000_000

_TIME_OF_DAY_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
# A placeholder name as written between the #…# markers: no space, '#' or comma (Variables is comma-joined).
_VARIABLE_RE = re.compile(r"[^#\s,]{1,64}")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def resolve_timezone(tz: str | tzinfo) -> tzinfo:
    if not isinstance(tz, str):
        return tz
    try:
        return ZoneInfo(tz)
    except ZoneInfoNotFoundError:
        # Hosts without a tz database: Shanghai has had no DST since 1991.
        if tz == DEFAULT_STRATEGY_TIMEZONE:
            return timezone(timedelta(hours=8), tz)
        raise


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def _require_text(problems: list[Problem], path: str, value: Any) -> None:
    if _blank(value):
        problems.append(Problem(path, "is required."))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_string_map(problems: list[Problem], path: str, value: Mapping[str, Any] | None) -> bool:
    """A JSON object of string values; returns False when it is not usable at all."""
    if value is None:
        return True
    if not isinstance(value, Mapping):
        problems.append(Problem(path, "must be a JSON object of text values."))
        return False
    bad = sorted(str(k) for k, v in value.items() if not isinstance(v, str))
    if bad:
        problems.append(Problem(path, f"values must be text; not text for: {', '.join(bad)}."))
    return True


def _check_extended_params(problems: list[Problem], path: str, value: Mapping[str, Any] | None) -> None:
    if not _check_string_map(problems, path, value) or value is None:
        return
    if len(value) > MAX_EXTENDED_PARAM_KEYS:
        problems.append(
            Problem(
                path,
                f"has {len(value)} keys; at most {MAX_EXTENDED_PARAM_KEYS} are allowed.",
            )
        )
    reserved = sorted(RESERVED_EXTENDED_PARAM_KEYS.intersection(value))
    if reserved:
        problems.append(Problem(path, f"uses keys reserved by the push service: {', '.join(reserved)}."))


def _check_targets(problems: list[Problem], request: PushMultipleRequest) -> None:
    targets = list(request.target_msgs or ())
    if not MIN_TARGETS_PER_CALL <= len(targets) <= MAX_TARGETS_PER_CALL:
        problems.append(
            Problem(
                "TargetMsg",
                f"has {len(targets)} targets; one call takes {MIN_TARGETS_PER_CALL} to {MAX_TARGETS_PER_CALL}.",
            )
        )
    seen: dict[str, int] = {}
    shared_keys = set(request.extended_params or {})
    for index, target in enumerate(targets, start=1):
        path = f"TargetMsg.{index}"
        _require_text(problems, f"{path}.Target", target.target)
        _require_text(problems, f"{path}.MsgKey", target.msg_key)
        if not _blank(target.msg_key):
            if target.msg_key in seen:
                problems.append(
                    Problem(
                        f"{path}.MsgKey",
                        f"repeats the MsgKey of TargetMsg.{seen[target.msg_key]}; each message needs its own.",
                    )
                )
            else:
                seen[target.msg_key] = index
        _check_string_map(problems, f"{path}.TemplateKeyValue", target.template_key_value)
        _check_extended_params(problems, f"{path}.ExtendedParams", target.extended_params)
        if isinstance(target.extended_params, Mapping):
            combined = len(shared_keys | set(target.extended_params))
            if combined > MAX_EXTENDED_PARAM_KEYS >= len(target.extended_params):
                problems.append(
                    Problem(
                        f"{path}.ExtendedParams",
                        f"together with the request's ExtendedParams has {combined} keys; "
                        f"at most {MAX_EXTENDED_PARAM_KEYS} are allowed.",
                    )
                )


def _today_start(now: datetime, zone: tzinfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _local_date(epoch_ms: int, zone: tzinfo) -> date:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).astimezone(zone).date()


def _check_strategy(problems: list[Problem], request: PushMultipleRequest, now: datetime, zone: tzinfo) -> None:
    kind = request.strategy_type
    if kind is None or kind == STRATEGY_IMMEDIATE:
        return
    if kind not in STRATEGY_TYPES:
        problems.append(Problem("StrategyType", "must be 0 (immediate), 1 (scheduled) or 2 (loop)."))
        return
    content = request.strategy_content
    if not isinstance(content, StrategyContent):
        problems.append(Problem("StrategyContent", "is required for scheduled and loop pushes."))
        return
    now_ms = int(now.timestamp() * 1000)
    if kind == STRATEGY_SCHEDULED:
        if content.fixed_time is None:
            problems.append(Problem("StrategyContent.fixedTime", "is required for a scheduled push."))
        elif content.fixed_time <= now_ms:
            problems.append(Problem("StrategyContent.fixedTime", "must be in the future."))
        return
    _check_loop(problems, content, now, zone)


def _check_loop(problems: list[Problem], content: StrategyContent, now: datetime, zone: tzinfo) -> None:
    path = "StrategyContent"
    today = _today_start(now, zone)
    today_ms = int(today.timestamp() * 1000)
    for key, value in (
        ("startTime", content.start_time),
        ("endTime", content.end_time),
    ):
        if value is None:
            problems.append(Problem(f"{path}.{key}", "is required for a loop push."))
        elif value < today_ms:
            problems.append(Problem(f"{path}.{key}", f"must not be before today 00:00 ({zone})."))
    if content.start_time is not None and content.end_time is not None and content.end_time < content.start_time:
        problems.append(Problem(f"{path}.endTime", "must not be before startTime."))
    if content.end_time is not None:
        last_day = today.date() + timedelta(days=MAX_LOOP_DAYS_AHEAD)
        if _local_date(content.end_time, zone) > last_day:
            problems.append(
                Problem(
                    f"{path}.endTime",
                    f"must be at most {MAX_LOOP_DAYS_AHEAD} days after today ({last_day}).",
                )
            )
    if content.time is None:
        problems.append(Problem(f"{path}.time", "is required for a loop push."))
    elif not _TIME_OF_DAY_RE.fullmatch(content.time):
        problems.append(Problem(f"{path}.time", "must be a time of day as HH:mm:ss."))
    _check_circle(problems, content)


def _check_circle(problems: list[Problem], content: StrategyContent) -> None:
    path = "StrategyContent"
    if content.circle_type is None:
        problems.append(Problem(f"{path}.circleType", "is required for a loop push."))
        return
    if content.circle_type == CIRCLE_DAILY:
        return  # circleValue is ignored for daily loops
    if content.circle_type not in CIRCLE_VALUE_RANGES:
        problems.append(Problem(f"{path}.circleType", "must be 1 (daily), 2 (weekly) or 3 (monthly)."))
        return
    low, high = CIRCLE_VALUE_RANGES[content.circle_type]
    unit = "weekdays" if content.circle_type == CIRCLE_WEEKLY else "days of the month"
    values = content.circle_value
    if not values:
        problems.append(Problem(f"{path}.circleValue", f"must list the {unit} to push on."))
    elif any(not _is_int(v) or not low <= v <= high for v in values):
        problems.append(Problem(f"{path}.circleValue", f"{unit} must be numbers from {low} to {high}."))


def _check_live_activity(problems: list[Problem], request: PushMultipleRequest) -> None:
    event = request.activity_event
    if event is not None and event not in ACTIVITY_EVENTS:
        problems.append(Problem("ActivityEvent", "must be 'update' or 'end'."))
    if request.activity_content_state is not None:
        if event is None:
            problems.append(
                Problem(
                    "ActivityContentState",
                    "is only used together with an ActivityEvent.",
                )
            )
        if not isinstance(request.activity_content_state, Mapping):
            problems.append(Problem("ActivityContentState", "must be a JSON object."))
    dismissal = request.dismissal_date
    if dismissal is None:
        return
    if event != ACTIVITY_EVENT_END:
        problems.append(Problem("DismissalDate", "only takes effect with ActivityEvent 'end'."))
    if not _is_int(dismissal) or dismissal <= 0:
        problems.append(Problem("DismissalDate", "must be a positive epoch time in seconds."))
    elif dismissal >= MAX_SECONDS_EPOCH:
        problems.append(Problem("DismissalDate", "looks like milliseconds; it must be epoch seconds."))


def validate_push_multiple(
    request: PushMultipleRequest,
    *,
    now: datetime | None = None,
    tz: str | tzinfo = DEFAULT_STRATEGY_TIMEZONE,
) -> list[Problem]:
    """Every problem that would make the service refuse ``request`` (empty list: send it).

    ``now`` (timezone-aware, default: the current time) and ``tz`` (the time zone
    the schedule's days and ``time`` are read in) are parameters so tests can pin them.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = resolve_timezone(tz)
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    _require_text(problems, "TaskName", request.task_name)
    _require_text(problems, "TemplateName", request.template_name)
    if isinstance(request.template_name, str) and "," in request.template_name:
        problems.append(Problem("TemplateName", "must not contain commas."))
    if request.delivery_type not in DELIVERY_TYPES:
        problems.append(
            Problem(
                "DeliveryType",
                "must be 1 (Android device), 2 (iOS device), 3 (user id) or 7 (HarmonyOS device).",
            )
        )
    expired = request.expired_seconds
    if not _is_int(expired) or not MIN_EXPIRED_SECONDS <= expired <= MAX_EXPIRED_SECONDS:
        problems.append(
            Problem(
                "ExpiredSeconds",
                f"must be from {MIN_EXPIRED_SECONDS} to {MAX_EXPIRED_SECONDS} seconds (72 hours).",
            )
        )
    _check_targets(problems, request)
    _check_extended_params(problems, "ExtendedParams", request.extended_params)
    _check_string_map(problems, "ThirdChannelCategory", request.third_channel_category)
    _check_string_map(problems, "NotifyLevel", request.notify_level)
    _check_strategy(problems, request, now, zone)
    _check_live_activity(problems, request)
    return problems


def validate_cancel_push_scheduler(
    request: CancelPushSchedulerRequest,
) -> list[Problem]:
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    ids = list(request.unique_ids or ())
    if not ids:
        problems.append(Problem("UniqueIds", "must name at least one scheduled task."))
    if any(_blank(i) or "," in i for i in ids):
        problems.append(Problem("UniqueIds", "ids must be non-empty and contain no commas."))
    return problems


# mPaaS recalls a PushMultiple task only this long after it was sent (wire reference §4).
REVOKE_WINDOW_DAYS = 7
MAX_TASK_ID_LENGTH = 64


def validate_revoke_push_task(request: RevokePushTaskRequest) -> list[Problem]:
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    _require_text(problems, "TaskId", request.task_id)
    if isinstance(request.task_id, str) and len(request.task_id) > MAX_TASK_ID_LENGTH:
        problems.append(Problem("TaskId", f"must be at most {MAX_TASK_ID_LENGTH} characters."))
    return problems


def validate_query_push_scheduler_list(
    request: QueryPushSchedulerListRequest,
) -> list[Problem]:
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    if request.end_time < request.start_time:
        problems.append(Problem("EndTime", "must not be before StartTime."))
    for name, value in (
        ("PageNumber", request.page_number),
        ("PageSize", request.page_size),
    ):
        if value is not None and value < 1:
            problems.append(Problem(name, "must be 1 or more."))
    return problems


def _check_template_name(problems: list[Problem], path: str, name: Any) -> None:
    _require_text(problems, path, name)
    if _blank(name):
        return
    if "," in name:
        problems.append(Problem(path, "must not contain commas."))
    if len(name) > MAX_TEMPLATE_NAME_LENGTH:
        problems.append(
            Problem(path, f"is {len(name)} characters long; at most {MAX_TEMPLATE_NAME_LENGTH} are allowed.")
        )


def _check_length(problems: list[Problem], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append(Problem(path, f"is {len(value)} characters long; at most {limit} are allowed."))


def validate_create_template(request: CreateTemplateRequest) -> list[Problem]:
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    _check_template_name(problems, "TemplateName", request.template_name)
    _require_text(problems, "Title", request.title)
    _check_length(problems, "Title", request.title, MAX_TITLE_LENGTH)
    _require_text(problems, "Content", request.content)
    _check_length(problems, "Content", request.content, MAX_CONTENT_LENGTH)
    _check_length(problems, "DescInfo", request.desc_info, MAX_TEMPLATE_DESC_LENGTH)
    if request.uri is not None and _blank(request.uri):
        problems.append(Problem("Uri", "must not be blank when given."))
    variables = list(request.variables or ())
    bad = [name for name in variables if not isinstance(name, str) or not _VARIABLE_RE.fullmatch(name)]
    if bad:
        problems.append(Problem("Variables", "names must be 1 to 64 characters without spaces, '#' or commas."))
    repeated = sorted({name for name in variables if variables.count(name) > 1})
    if repeated:
        problems.append(Problem("Variables", f"names each placeholder once; repeated: {', '.join(repeated)}."))
    if request.show_style is not None and request.show_style not in TEMPLATE_SHOW_STYLES:
        problems.append(Problem("ShowStyle", "must be 0 (normal) or 1 (silent)."))
    if request.push_style is not None and request.push_style not in TEMPLATE_PUSH_STYLES:
        problems.append(Problem("PushStyle", "must be 0 (default), 1 (big text) or 2 (image and text)."))
    _check_string_map(problems, "ImageUrls", request.image_urls)
    _check_string_map(problems, "IconUrls", request.icon_urls)
    return problems


def validate_template_lookup(request: GetTemplateRequest | DeleteTemplateRequest) -> list[Problem]:
    """GetTemplate and DeleteTemplate name their template by id or by name."""
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    if request.template_id is None and request.template_name is None:
        problems.append(Problem("TemplateName", "or TemplateId is required."))
    if request.template_id is not None:
        _require_text(problems, "TemplateId", request.template_id)
    if request.template_name is not None:
        _check_template_name(problems, "TemplateName", request.template_name)
    return problems


def validate_list_template_page(request: ListTemplatePageRequest) -> list[Problem]:
    problems: list[Problem] = []
    _require_text(problems, "AppId", request.app_id)
    _require_text(problems, "WorkspaceId", request.workspace_id)
    for name, value in (("CurrentPage", request.current_page), ("PageSize", request.page_size)):
        if value is not None and (not _is_int(value) or value < 1):
            problems.append(Problem(name, "must be 1 or more."))
    return problems
