"""PushMultiple: parameter validation and per-target rendering, as mPaaS does it.

Pure functions: form parameters in, a :class:`PushPlan` (or a
:class:`BusinessError` with the reference's §3.2 result code) out. Checks run in
a fixed order so one bad call always yields the same code: app ids, task name,
template, delivery type, expiry, switches, extension maps, strategy, targets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, cycle, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeGuard

from pushadmin.mpaas.validation import resolve_timezone
from pushadmin.sandbox import codes, limits
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions, Template

if TYPE_CHECKING:
    from pushadmin.sandbox.console_templates import TemplateStore

_TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d")


@dataclass(slots=True)
class Rows:
    """The accepted targets of one call column by column: row i is the i-th of each list."""

    msg_keys: list[str]
    targets: list[str]
    titles: list[str]
    contents: list[str]

    def __len__(self) -> int:
        return len(self.msg_keys)

    def without_keys(self, unwanted: Mapping[str, object]) -> Rows:
        keep = [i for i, key in enumerate(self.msg_keys) if key not in unwanted]
        return Rows(
            [self.msg_keys[i] for i in keep],
            [self.targets[i] for i in keep],
            [self.titles[i] for i in keep],
            [self.contents[i] for i in keep],
        )


@dataclass(slots=True)
class PushPlan:
    app_id: str
    workspace_id: str
    template: Template
    delivery_type: int
    strategy_type: int
    # (first fire time, last fire time) in epoch ms for StrategyType 1/2.
    schedule: tuple[int, int] | None
    rows: Rows


def parse_int(value: str | None) -> int | None:
    """Decimal integer as the SDKs send numbers; None for anything else."""
    if value is None:
        return None
    digits = value[1:] if value[:1] == "-" else value
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return int(value)


def _json_object(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _string_map(raw: str | None, name: str) -> None:
    if raw is None:
        return
    value = _json_object(raw)
    if value is None or not all(isinstance(v, str) for v in value.values()):
        raise BusinessError(codes.INVALID_PARAM, f"{name} must be a JSON object of strings")


def _extended_params(raw: str | None, where: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    value = _json_object(raw)
    if value is None or not all(isinstance(v, str) for v in value.values()):
        raise BusinessError(codes.INVALID_EXTEND_PARAM, f"{where} is not a JSON object of strings")
    reserved = sorted(limits.RESERVED_EXTENDED_KEYS.intersection(value))
    if reserved:
        raise BusinessError(codes.INVALID_EXTEND_PARAM, f"{where} uses reserved keys {','.join(reserved)}")
    if len(value) > limits.MAX_EXTENDED_PARAMS:
        raise BusinessError(
            codes.EXTEND_PARAM_TO_MUCH,
            f"{where} has {len(value)} keys, at most {limits.MAX_EXTENDED_PARAMS}",
        )
    return value


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise BusinessError(codes.INVALID_PARAM, f"{name} must be one of {', '.join(allowed)}")


def render(parts: tuple[str, ...], values: Mapping[str, str]) -> str:
    if len(parts) == 1:
        return parts[0]
    pieces = list(parts)
    pieces[1::2] = [values[name] for name in parts[1::2]]
    return "".join(pieces)


def parse_strategy(params: Mapping[str, str], now_ms: int) -> tuple[int, tuple[int, int] | None]:
    raw_type = params.get("StrategyType")
    strategy_type = 0 if raw_type in (None, "") else parse_int(raw_type)
    if strategy_type not in (0, 1, 2):
        raise BusinessError(codes.INVALID_PARAM, "StrategyType must be 0, 1 or 2")
    if strategy_type == 0:
        return 0, None
    content = _json_object(params.get("StrategyContent") or "")
    if content is None:
        raise BusinessError(codes.INVALID_PARAM, "StrategyContent must be a JSON object for StrategyType 1/2")

    def ms(key: str) -> int:
        value = content.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BusinessError(codes.INVALID_PARAM, f"StrategyContent.{key} must be epoch ms")
        return value

    if strategy_type == 1:
        fixed = ms("fixedTime")
        if fixed <= now_ms:
            raise BusinessError(codes.INVALID_PARAM, "StrategyContent.fixedTime is in the past")
        return 1, (fixed, fixed)
    start, end = ms("startTime"), ms("endTime")
    if end < start:
        raise BusinessError(codes.INVALID_PARAM, "StrategyContent.endTime is before startTime")
    # Loop days are days of the service's time zone (UTC+8).
    zone = resolve_timezone(limits.DEFAULT_STRATEGY_TIMEZONE)
    today = datetime.fromtimestamp(now_ms / 1000, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if start < today.timestamp() * 1000:
        raise BusinessError(codes.INVALID_PARAM, "StrategyContent.startTime is before today")
    end_day = datetime.fromtimestamp(end / 1000, zone).date()
    if end_day > today.date() + timedelta(days=limits.MAX_LOOP_DAYS):
        raise BusinessError(
            codes.INVALID_PARAM,
            f"StrategyContent.endTime is more than {limits.MAX_LOOP_DAYS} days ahead",
        )
    circle_type = content.get("circleType")
    if circle_type not in (1, 2, 3) or isinstance(circle_type, bool):
        raise BusinessError(codes.INVALID_PARAM, "StrategyContent.circleType must be 1, 2 or 3")
    if circle_type in limits.CIRCLE_VALUE_RANGES:
        low, high = limits.CIRCLE_VALUE_RANGES[circle_type]
        values = content.get("circleValue")
        if not isinstance(values, list) or not values or not all(type(v) is int and low <= v <= high for v in values):
            raise BusinessError(codes.INVALID_PARAM, f"StrategyContent.circleValue must list {low}..{high}")
    time_of_day = content.get("time")
    if not isinstance(time_of_day, str) or not _TIME_OF_DAY.fullmatch(time_of_day):
        raise BusinessError(codes.INVALID_PARAM, "StrategyContent.time must be HH:mm:ss")
    # The loop runs until 24:00 of its end day.
    last = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), zone)
    return 2, (start, int(last.timestamp() * 1000))


# (Target, MsgKey, TemplateKeyValue, ExtendedParams) of one TargetMsg entry.
Entry = tuple[str | None, str | None, str | None, str | None]
# The same four fields of every entry, one list per field.
Columns = tuple[list[str | None], list[str | None], list[str | None], list[str | None]]

_FIELD_SUFFIXES = ("Target", "MsgKey", "TemplateKeyValue", "ExtendedParams")
_field_names: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])


def _names_of_first(count: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """``TargetMsg.<i>.<field>`` for i in 1..count, one list per field (built once, reused)."""
    known = len(_field_names[0])
    for index in range(known + 1, count + 1):
        for names, suffix in zip(_field_names, _FIELD_SUFFIXES, strict=True):
            names.append(f"TargetMsg.{index}.{suffix}")
    first = _field_names
    return first[0][:count], first[1][:count], first[2][:count], first[3][:count]


def _target_columns(params: Mapping[str, str]) -> Columns:
    # Every entry carries a MsgKey in calls the SDKs build, so counting MsgKey
    # fields gives the number of entries; the field lookups then run in C. Any
    # other shape is left to _group_targets_slowly, whose answer this one must equal.
    listed = "\n" + "\n".join(params) + "\n"
    expected = listed.count("\nTargetMsg.")
    count = listed.count(".MsgKey\n")
    if count <= limits.MAX_TARGETS_PER_CALL:  # more is refused anyway, after the generic grouping
        get = params.get
        target_names, key_names, value_names, extended_names = _names_of_first(count)
        keys = list(map(get, key_names))
        if None not in keys:
            targets = list(map(get, target_names))
            values = list(map(get, value_names))
            extended: list[str | None] = (
                list(map(get, extended_names)) if ".ExtendedParams\n" in listed else [None] * count
            )
            found = 4 * count - targets.count(None) - values.count(None) - extended.count(None)
            if found == expected:
                return targets, keys, values, extended
    entries = _group_targets_slowly(params)
    if not entries:
        return [], [], [], []
    targets, keys, values, extended = map(list, zip(*entries, strict=True))
    return targets, keys, values, extended


def _group_targets_slowly(params: Mapping[str, str]) -> list[Entry]:
    grouped: dict[int, dict[str, str]] = {}
    for name, value in params.items():
        if not name.startswith("TargetMsg."):
            continue
        index, _, sub = name[10:].partition(".")
        if not sub or not index.isascii() or not index.isdigit():
            raise BusinessError(codes.INVALID_PARAM, f"unexpected field {name}")
        entry = grouped.get(int(index))
        if entry is None:
            entry = grouped[int(index)] = {}
        # Tea SDKs flatten a dict TemplateKeyValue into "TemplateKeyValue.<k>";
        # such fields are kept under their dotted name and so never count as values.
        entry[sub] = value
    return [
        (e.get("Target"), e.get("MsgKey"), e.get("TemplateKeyValue"), e.get("ExtendedParams"))
        for e in (grouped[i] for i in sorted(grouped))
    ]


# JSONDecoder sets scan_once in __init__; typeshed does not declare it.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_STR_ONLY = {str}


def _only_strings(value: dict[str, Any]) -> bool:
    return not value or set(map(type, value.values())) == _STR_ONLY


def _template_values(raw: str | None, position: int) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    value: object = None
    text = raw.strip()
    # The C scanner directly: json.loads adds checks worth 100 calls' time.
    if text[:1] == "{":
        try:
            value, end = _scan_json(text, 0)
        except (ValueError, StopIteration):
            value = None
        else:
            if end != len(text):
                value = None
    if not isinstance(value, dict) or not _only_strings(value):
        raise BusinessError(
            codes.INVALID_PARAM,
            f"TargetMsg.{position}.TemplateKeyValue must be a JSON object of strings",
        )
    return value


def _check_length(text: str, limit: int, what: str) -> None:
    if not text:
        raise BusinessError(codes.PAYLOAD_NOT_ENOUGH, f"{what} is empty after rendering")
    if len(text) > limit:
        raise BusinessError(codes.SINGLE_PUSH_CONTENT_TOO_LONG, f"{what} longer than {limit} characters")


def _rows(params: Mapping[str, str], template: Template, shared_keys: frozenset[str]) -> Rows:
    columns = _target_columns(params)
    count = len(columns[0])
    if not count:
        raise BusinessError(codes.TOKEN_OR_USERID_NULL, "TargetMsg is empty")
    if count > limits.MAX_TARGETS_PER_CALL:
        raise BusinessError(
            codes.SINGLE_PUSH_TARGET_TOO_MUCH,
            f"{count} targets, at most {limits.MAX_TARGETS_PER_CALL}",
        )
    rows = _rows_at_once(columns, template)
    if rows is not None:
        return rows
    return _rows_one_by_one(columns, template, shared_keys)


_EMPTY_VALUES: dict[str, str] = {}
_DICT_ONLY = {dict}


def _all_given(column: list[str | None]) -> TypeGuard[list[str]]:
    """What `all()` says (no None and no empty string), told to the type checker too."""
    return all(column)


def _rows_at_once(columns: Columns, template: Template) -> Rows | None:
    """All targets checked and rendered by whole-list operations, or None.

    None means some target needs a closer look: a refusal (which
    :func:`_rows_one_by_one` words for the first bad target, in its order of
    checks) or a rare shape such as a per-target ExtendedParams or JSON with
    surrounding spaces. Whatever this returns, the one-by-one path would too.
    """
    targets, msg_keys, raw_values, extended = columns
    count = len(targets)
    if (
        any(extended)
        or not _all_given(targets)
        or not _all_given(msg_keys)
        or max(map(len, targets)) > limits.MAX_TARGET_LENGTH
        or max(map(len, msg_keys)) > limits.MAX_MSG_KEY_LENGTH
        or len(set(msg_keys)) != count
    ):
        return None
    values: list[dict[str, str]]
    if _all_given(raw_values):
        try:
            scanned = list(map(_scan_json, raw_values, repeat(0)))
        except ValueError:
            return None
        # The scanner says "no JSON value here" with StopIteration, which
        # silently ends the map early.
        if len(scanned) != count:
            return None
        parsed, ends = zip(*scanned, strict=True)
        if (
            ends != tuple(map(len, raw_values))
            or set(map(type, parsed)) != _DICT_ONLY
            or not set(map(type, chain.from_iterable(map(dict.values, parsed)))) <= _STR_ONLY
        ):
            return None
        values = list(parsed)
    elif not any(raw_values):
        values = [_EMPTY_VALUES] * count
    else:
        return None
    try:
        # A missing placeholder value is a KeyError here, and with it the
        # title and content renderings cover every placeholder of the template.
        titles = _render_all(template.title_parts, values)
        contents = _render_all(template.content_parts, values)
    except KeyError:
        return None
    if not (
        0 < min(map(len, titles)) <= max(map(len, titles)) <= limits.MAX_TITLE_LENGTH
        and 0 < min(map(len, contents)) <= max(map(len, contents)) <= limits.MAX_CONTENT_LENGTH
    ):
        return None
    return Rows(msg_keys, targets, titles, contents)


def _render_all(parts: tuple[str, ...], values: list[dict[str, str]]) -> list[str]:
    """:func:`render` for every target at once: the literal and value columns zipped and joined."""
    if len(parts) == 1:
        return [parts[0]] * len(values)
    columns = [map(itemgetter(part), values) if odd else repeat(part) for odd, part in zip(cycle((0, 1)), parts)]
    return list(map("".join, zip(*columns, strict=False)))


def _rows_one_by_one(columns: Columns, template: Template, shared_keys: frozenset[str]) -> Rows:
    needed = template.placeholders
    title_parts, content_parts = template.title_parts, template.content_parts
    max_title, max_content = limits.MAX_TITLE_LENGTH, limits.MAX_CONTENT_LENGTH
    max_target, max_key = limits.MAX_TARGET_LENGTH, limits.MAX_MSG_KEY_LENGTH
    rows = Rows([], [], [], [])
    seen: set[str] = set()
    for position, (target, msg_key, raw_values, own) in enumerate(zip(*columns, strict=True), 1):
        if not target:
            raise BusinessError(codes.TOKEN_OR_USERID_NULL, f"TargetMsg.{position}.Target")
        if len(target) > max_target:
            raise BusinessError(codes.INVALID_PARAM, f"TargetMsg.{position}.Target too long")
        if not msg_key:
            raise BusinessError(codes.INVALID_PARAM, f"TargetMsg.{position}.MsgKey is missing")
        if len(msg_key) > max_key:
            raise BusinessError(codes.INVALID_PARAM, f"TargetMsg.{position}.MsgKey too long")
        if msg_key in seen:
            raise BusinessError(codes.INVALID_PARAM, f"MsgKey {msg_key} repeated within the call")
        seen.add(msg_key)
        values = _template_values(raw_values, position) if raw_values else {}
        if needed and not needed.issubset(values):
            missing = ",".join(sorted(needed.difference(values)))
            raise BusinessError(codes.TEMPLATEKV_NOT_ENOUGH, f"TargetMsg.{position} lacks {missing}")
        if own:
            extended = _extended_params(own, f"TargetMsg.{position}.ExtendedParams")
            if len(shared_keys.union(extended)) > limits.MAX_EXTENDED_PARAMS:
                raise BusinessError(
                    codes.EXTEND_PARAM_TO_MUCH,
                    f"TargetMsg.{position} has more than {limits.MAX_EXTENDED_PARAMS} "
                    "extension keys with the shared ones",
                )
        title = render(title_parts, values)
        content = render(content_parts, values)
        if not (0 < len(title) <= max_title and 0 < len(content) <= max_content):
            _check_length(title, max_title, f"TargetMsg.{position} title")
            _check_length(content, max_content, f"TargetMsg.{position} content")
        rows.msg_keys.append(msg_key)
        rows.targets.append(target)
        rows.titles.append(title)
        rows.contents.append(content)
    return rows


def parse_push_multiple(
    params: Mapping[str, str], options: SandboxOptions, now_ms: int, templates: TemplateStore
) -> PushPlan:
    app_id, workspace_id = params.get("AppId"), params.get("WorkspaceId")
    if not app_id or not workspace_id:
        raise BusinessError(codes.APPID_WORKSPACEID_MISSING, "AppId and WorkspaceId")
    if options.apps and (app_id, workspace_id) not in options.apps:
        raise BusinessError(codes.INVALID_INSTANCE_ID, "check AppId and WorkspaceId")
    task_name = params.get("TaskName", "")
    if not task_name.strip():
        raise BusinessError(codes.TASKNAME_NULL, "TaskName is required")
    if len(task_name) > limits.MAX_TASK_NAME_LENGTH:
        raise BusinessError(codes.INVALID_PARAM, f"TaskName longer than {limits.MAX_TASK_NAME_LENGTH}")
    template_name = params.get("TemplateName", "")
    if not template_name:
        raise BusinessError(codes.NEED_TEMPLATE, "TemplateName is required")
    if "," in template_name:
        raise BusinessError(codes.INVALID_PARAM, "TemplateName must not contain commas")
    template = templates.find((app_id, workspace_id), template_name)
    if template is None:
        raise BusinessError(codes.TEMPLATE_NOT_EXIST, template_name)
    delivery_type = parse_int(params.get("DeliveryType"))
    if delivery_type not in limits.DELIVERY_TYPES:
        raise BusinessError(codes.DELIVERY_TYPE_NOT_SUPPORTED, f"DeliveryType {params.get('DeliveryType')}")
    expired = parse_int(params.get("ExpiredSeconds"))
    if expired is None or expired < limits.MIN_EXPIRED_SECONDS:
        raise BusinessError(codes.EXPIREDSECONDS_WRONG, "ExpiredSeconds")
    if expired > limits.MAX_EXPIRED_SECONDS:
        raise BusinessError(codes.EXPIREDTIME_TOO_LONG, f"ExpiredSeconds above {limits.MAX_EXPIRED_SECONDS}")
    _choice(params, "NotifyType", ("transparent", "notify"))
    _choice(params, "PushAction", ("0", "1"))
    _choice(params, "Silent", ("0", "1"))
    _choice(params, "Classification", ("0", "1"))
    _choice(params, "ActivityEvent", tuple(sorted(limits.ACTIVITY_EVENTS)))
    shared = _extended_params(params.get("ExtendedParams"), "ExtendedParams")
    _string_map(params.get("ThirdChannelCategory"), "ThirdChannelCategory")
    _string_map(params.get("NotifyLevel"), "NotifyLevel")
    strategy_type, schedule = parse_strategy(params, now_ms)
    rows = _rows(params, template, frozenset(shared))
    return PushPlan(app_id, workspace_id, template, delivery_type, strategy_type, schedule, rows)
