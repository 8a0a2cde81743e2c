"""The analysis calls and PushQueryDeviceState: their rules, and their answers read into typed values.

Rules (reference §4): ``QueryPushAnalysisCoreIndex`` takes whole days — StartTime and EndTime
are epoch milliseconds at 00:00 of a day in the service's time zone (UTC+8, the zone loop days
are read in) — and at most 90 days from the first day to the last, both counted. Platform,
Channel and Type take the values the reference lists; Honor's channel (``HONOR``) is not in
that list but is a channel mPaaS pushes through, so it is accepted here too [INF].

The answers (SDK models of 2020-07-10): the analysis calls reply ``{RequestId, ResultCode,
ResultMessage, ResultContent: {Data}}``, their counts typed as floats; PushQueryDeviceState
replies like the template actions, ``{Success, Code, Message, Data}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .request_types import (
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
)
from .template_replies import _text
from .validation import (
    DEFAULT_STRATEGY_TIMEZONE,
    DELIVERY_TYPES,
    Problem,
    _blank,
    _is_int,
    _require_text,
    resolve_timezone,
)

MAX_RANGE_DAYS = 90
DAY_MS = 86_400_000
PLATFORMS = ("IOS", "ANDROID", "HARMONYOS")
# ANDROID is mPaaS's own (self-built) channel, IOS is APNs.
CHANNELS = ("IOS", "FCM", "HMS", "HONOR", "MIUI", "OPPO", "VIVO", "ANDROID", "HARMONYOS")
PUSH_TYPES = ("SIMPLE", "TEMPLATE", "MULTIPLE", "BROADCAST")
MAX_PAGE_SIZE = 500


def _app(problems: list[Problem], app_id: Any, workspace_id: Any) -> None:
    _require_text(problems, "AppId", app_id)
    _require_text(problems, "WorkspaceId", workspace_id)


def day_start_ms(moment: datetime) -> int:
    """00:00 of `moment`'s day in the service's time zone, in epoch milliseconds."""
    zone = resolve_timezone(DEFAULT_STRATEGY_TIMEZONE)
    local = moment.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(local.timestamp() * 1000)


def _is_day_start(epoch_ms: int) -> bool:
    return day_start_ms(datetime.fromtimestamp(epoch_ms / 1000, UTC)) == epoch_ms


def range_days(start_ms: int, end_ms: int) -> int:
    """Days covered from StartTime's day to EndTime's day, both counted."""
    return round((end_ms - start_ms) / DAY_MS) + 1


def validate_core_index(request: QueryPushAnalysisCoreIndexRequest) -> list[Problem]:
    problems: list[Problem] = []
    _app(problems, request.app_id, request.workspace_id)
    start, end = request.start_time, request.end_time
    for name, value in (("StartTime", start), ("EndTime", end)):
        if not _is_int(value) or value < 0:
            problems.append(Problem(name, "must be an epoch time in milliseconds."))
        elif not _is_day_start(value):
            problems.append(Problem(name, "must be 00:00 of a day (UTC+8): the figures are kept by day."))
    if _is_int(start) and _is_int(end):
        if end < start:
            problems.append(Problem("EndTime", "must not be before StartTime."))
        elif range_days(start, end) > MAX_RANGE_DAYS:
            problems.append(
                Problem("EndTime", f"is {range_days(start, end)} days after StartTime; at most {MAX_RANGE_DAYS}.")
            )
    filters: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
        ("Platform", request.platform, PLATFORMS),
        ("Channel", request.channel, CHANNELS),
        ("Type", request.type, PUSH_TYPES),
    )
    for name, chosen, allowed in filters:
        if chosen is not None and chosen not in allowed:
            problems.append(Problem(name, f"must be one of {', '.join(allowed)}."))
    if request.task_id is not None and _blank(request.task_id):
        problems.append(Problem("TaskId", "must not be blank when given."))
    return problems


def validate_task_list(request: QueryPushAnalysisTaskListRequest, *, now: datetime | None = None) -> list[Problem]:
    problems: list[Problem] = []
    _app(problems, request.app_id, request.workspace_id)
    now = now or datetime.now(UTC)
    oldest = day_start_ms(now - timedelta(days=MAX_RANGE_DAYS - 1))
    if not _is_int(request.start_time) or request.start_time < 0:
        problems.append(Problem("StartTime", "must be an epoch time in milliseconds."))
    elif request.start_time < oldest:
        problems.append(Problem("StartTime", f"must be within the last {MAX_RANGE_DAYS} days."))
    for name, value in (("TaskId", request.task_id), ("TaskName", request.task_name)):
        if value is not None and _blank(value):
            problems.append(Problem(name, "must not be blank when given."))
    if request.page_number is not None and (not _is_int(request.page_number) or request.page_number < 1):
        problems.append(Problem("PageNumber", "must be 1 or more."))
    size = request.page_size
    if size is not None and (not _is_int(size) or not 1 <= size <= MAX_PAGE_SIZE):
        problems.append(Problem("PageSize", f"must be from 1 to {MAX_PAGE_SIZE}."))
    return problems


def validate_task_detail(request: QueryPushAnalysisTaskDetailRequest) -> list[Problem]:
    problems: list[Problem] = []
    _app(problems, request.app_id, request.workspace_id)
    _require_text(problems, "TaskId", request.task_id)
    return problems


def validate_device_state(request: PushQueryDeviceStateRequest) -> list[Problem]:
    problems: list[Problem] = []
    _app(problems, request.app_id, request.workspace_id)
    _require_text(problems, "Target", request.target)
    if request.target_type not in DELIVERY_TYPES:
        problems.append(Problem("TargetType", "must be 1 (Android), 2 (iOS), 3 (user id) or 7 (HarmonyOS)."))
    return problems


# ------------------------------------------------------------------ answers


@dataclass(frozen=True, kw_only=True)
class CoreIndex:
    """Figures of QueryPushAnalysisCoreIndex; rates are fractions as mPaaS sends them."""

    push_total: int
    pushed: int
    arrived: int
    opened: int
    ignored: int
    open_rate: float | None = None
    ignore_rate: float | None = None


@dataclass(frozen=True, kw_only=True)
class TaskSummary:
    task_id: str
    task_name: str
    template_name: str | None
    type: int | None
    gmt_create: int | None
    sub_tasks: tuple[TaskSummary, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TaskDetail:
    task_id: str
    start_time: int | None
    end_time: int | None
    duration: str | None
    push_num: int
    push_success_num: int
    push_arrival_num: int


@dataclass(frozen=True, kw_only=True)
class DeviceState:
    platform: str | None
    manufacturer: str | None
    device_id: str | None
    user_id: str | None
    status: str | None


def _count(value: Any) -> int | None:
    """A count the SDK types as float (``10000.0``) or text: a whole number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def _rate(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _data(body: Mapping[str, Any]) -> Any:
    content = body.get("ResultContent")
    return content.get("Data") if isinstance(content, Mapping) else None


def core_index(body: Mapping[str, Any]) -> CoreIndex | None:
    data = _data(body)
    if not isinstance(data, Mapping):
        return None
    counts = {
        attr: _count(data.get(key))
        for key, attr in (
            ("PushTotalNum", "push_total"),
            ("PushNum", "pushed"),
            ("ArrivalNum", "arrived"),
            ("OpenNum", "opened"),
            ("IgnoreNum", "ignored"),
        )
    }
    if any(value is None for value in counts.values()):
        return None
    return CoreIndex(
        **{k: v for k, v in counts.items() if v is not None},
        open_rate=_rate(data.get("OpenRate")),
        ignore_rate=_rate(data.get("IgnoreRate")),
    )


def _task_summary(entry: Any, *, nested: bool) -> TaskSummary | None:
    if not isinstance(entry, Mapping):
        return None
    task_id = _text(entry.get("TaskId"))
    if not task_id:
        return None
    subs: list[TaskSummary] = []
    if not nested and isinstance(entry.get("List"), list):
        for sub in entry["List"]:
            read = _task_summary(sub, nested=True)
            if read is None:
                return None
            subs.append(read)
    kind = _count(entry.get("Type"))
    return TaskSummary(
        task_id=task_id,
        task_name=_text(entry.get("TaskName")) or "",
        template_name=_text(entry.get("TemplateName")),
        type=kind,
        gmt_create=_count(entry.get("GmtCreate")),
        sub_tasks=tuple(subs),
    )


def task_list(body: Mapping[str, Any]) -> tuple[TaskSummary, ...] | None:
    data = _data(body)
    if data is None:
        return ()
    if not isinstance(data, list):
        return None
    tasks = [_task_summary(entry, nested=False) for entry in data]
    if any(task is None for task in tasks):
        return None
    return tuple(task for task in tasks if task is not None)


def task_detail(body: Mapping[str, Any]) -> TaskDetail | None:
    data = _data(body)
    if not isinstance(data, Mapping):
        return None
    task_id = _text(data.get("TaskId"))
    counts = [_count(data.get(key)) for key in ("PushNum", "PushSuccessNum", "PushArrivalNum")]
    if not task_id or any(c is None for c in counts):
        return None
    push_num, success, arrival = (c or 0 for c in counts)
    return TaskDetail(
        task_id=task_id,
        start_time=_count(data.get("StartTime")),
        end_time=_count(data.get("EndTime")),
        duration=_text(data.get("Duration")),
        push_num=push_num,
        push_success_num=success,
        push_arrival_num=arrival,
    )


def device_state(body: Mapping[str, Any]) -> DeviceState | None:
    data = body.get("Data")
    if not isinstance(data, Mapping):
        return None
    # Tokens (DeliveryToken, ThirdToken) are left out on purpose: nothing here needs them, and
    # what is not read cannot reach a page or a log.
    return DeviceState(
        platform=_text(data.get("Platform")),
        manufacturer=_text(data.get("Manufacturer")),
        device_id=_text(data.get("DeviceId")),
        user_id=_text(data.get("UserId")),
        status=_text(data.get("Statue")),
    )
