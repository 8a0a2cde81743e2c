"""Form-body encoding exactly as the official SDKs put it on the wire, and its inverse."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, fields
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote_to_bytes

from .request_types import (
    CSV,
    INT,
    JSON_OBJECT,
    STRATEGY,
    TARGETS,
    ApiRequest,
    CancelPushSchedulerRequest,
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
    PushMultipleRequest,
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
    QueryPushSchedulerListRequest,
    RevokePushTaskRequest,
    StrategyContent,
    TargetMsg,
)
from .validation import Problem

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# What ``urllib.parse.quote_plus`` leaves alone (RFC 3986 unreserved), and how it writes
# every other UTF-8 byte: space as ``+``, the rest as upper-case ``%XX``.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_BYTE_TEXT = tuple(chr(b) if b in _UNRESERVED else "+" if b == 0x20 else f"%{b:02X}" for b in range(256))
_RESERVED_RUN = re.compile(r"[^A-Za-z0-9_.\-~]+")
# Short runs repeat in every JSON value of a batch (`{"`, `":"`, `","`); remembering them
# saves re-encoding. Bounded so that distinct user text cannot grow it without limit.
_RUN_CACHE: dict[str, str] = {}
_RUN_CACHE_MAX = 4096
_RUN_CACHED_LENGTH = 16


def _quoted_run(match: re.Match[str]) -> str:
    run = match.group()
    quoted = _RUN_CACHE.get(run)
    if quoted is None:
        quoted = "".join(map(_BYTE_TEXT.__getitem__, run.encode("utf-8", errors="strict")))
        if len(run) <= _RUN_CACHED_LENGTH and len(_RUN_CACHE) < _RUN_CACHE_MAX:
            _RUN_CACHE[run] = quoted
    return quoted


def encode_form(fields: Sequence[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` in the given order, space as ``+``, UTF-8.

    The same bytes as ``urlencode`` (what both Python SDKs call), and therefore the same
    V3 ``x-acs-content-sha256``, for the same field order; the tests pin this against
    ``urlencode`` and the SDKs. ``urlencode`` itself quoted the ~400 fields of a batch
    one byte at a time in Python, a sizeable share of a worker's time per call.
    """
    sub = _RESERVED_RUN.sub
    return "&".join([f"{_quoted_name(name)}={sub(_quoted_run, value)}" for name, value in fields]).encode("ascii")


# Field names repeat in every call (`TargetMsg.1.Target` …): each is quoted once.
_NAME_CACHE: dict[str, str] = {}
_NAME_CACHE_MAX = 4096


def _quoted_name(name: str) -> str:
    quoted = _NAME_CACHE.get(name)
    if quoted is None:
        quoted = _RESERVED_RUN.sub(_quoted_run, name)
        if len(_NAME_CACHE) < _NAME_CACHE_MAX:
            _NAME_CACHE[name] = quoted
    return quoted


def _unquote_plus(raw: bytes) -> str:
    # Decode bytes, not str: a percent-escape may be half of a UTF-8 sequence.
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", errors="strict")


def decode_form(body: bytes) -> dict[str, str]:
    """Inverse of :func:`encode_form`; keeps empty values.

    Raises ValueError on bad UTF-8 and on a repeated name, because the gateway
    would have to pick one value and a signature check over a guess proves nothing.
    """
    result: dict[str, str] = {}
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        name = _unquote_plus(raw_name)
        if name in result:
            raise ValueError(f"form field {name!r} appears more than once")
        result[name] = _unquote_plus(raw_value)
    return result


# ----------------------------------------------------------------- typed requests


def dump_json(value: Any) -> str:
    """The one JSON spelling for JSON-text fields: compact, UTF-8 kept as is.

    Never ``str(mapping)``: the legacy SDK does that and sends a Python repr.
    """
    return _dump_compact(value)


# json.dumps builds a new encoder for every call with non-default options; one shared
# (stateless) encoder writes the same text without that cost, once per target per call.
_dump_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _scalar_text(value: Any, kind: str, wire_name: str) -> str:
    if kind == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{wire_name} must be an int, got {type(value).__name__}")
        return str(value)
    if kind == JSON_OBJECT:
        if not isinstance(value, Mapping):
            raise TypeError(f"{wire_name} must be a mapping, got {type(value).__name__}")
        return dump_json(dict(value))
    if kind == STRATEGY:
        if not isinstance(value, StrategyContent):
            raise TypeError(f"{wire_name} must be a StrategyContent")
        return dump_json(value.to_json_object())
    if kind == CSV:
        if isinstance(value, str):
            raise TypeError(f"{wire_name} must be a sequence of ids, not one string")
        return ",".join(value)
    if not isinstance(value, str):
        raise TypeError(f"{wire_name} must be a str, got {type(value).__name__}")
    return value


_WIRE_SPECS: dict[type[Any], tuple[tuple[str, str, str], ...]] = {}


def _wire_specs(cls: type[Any]) -> tuple[tuple[str, str, str], ...]:
    """(attribute, wire name, kind) of each field of a request type, in declaration order."""
    specs = _WIRE_SPECS.get(cls)
    if specs is None:
        specs = tuple((spec.name, spec.metadata["wire"], spec.metadata["kind"]) for spec in fields(cls))
        _WIRE_SPECS[cls] = specs
    return specs


def _object_fields(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, wire_name, kind in _wire_specs(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if kind == TARGETS:
            for index, target in enumerate(value, start=1):
                out.extend(_object_fields(target, f"{prefix}{wire_name}.{index}."))
        else:
            out.append((prefix + wire_name, _scalar_text(value, kind, prefix + wire_name)))
    return out


def request_fields(request: ApiRequest) -> list[tuple[str, str]]:
    """Business form fields of ``request``, sorted by name as the Tea SDKs send them."""
    # By name alone (names are unique); comparing str compares code points, the same order as
    # comparing their UTF-8 bytes.
    return sorted(_object_fields(request), key=itemgetter(0))


def encode_request(request: ApiRequest) -> bytes:
    return encode_form(request_fields(request))


# ------------------------------------------------------------------ and back


class WireFormatError(ValueError):
    """A decoded body that cannot be read as the typed request; ``problems`` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


_INT_RE = re.compile(r"-?[0-9]+")


def _parse_scalar(text: str, kind: str, path: str, problems: list[Problem]) -> Any:
    if kind == INT:
        if not _INT_RE.fullmatch(text):
            problems.append(Problem(path, "must be a whole number."))
            return None
        return int(text)
    if kind in (JSON_OBJECT, STRATEGY):
        try:
            value = json.loads(text)
        except ValueError:
            problems.append(Problem(path, "is not valid JSON text."))
            return None
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be a JSON object."))
            return None
        return _parse_strategy(value, path, problems) if kind == STRATEGY else value
    if kind == CSV:
        return tuple(part for part in text.split(",") if part)
    return text


def _parse_strategy(obj: dict[str, Any], path: str, problems: list[Problem]) -> Any:
    values: dict[str, Any] = {}
    for attr, key in StrategyContent.JSON_KEYS:
        if key not in obj or obj[key] is None:
            continue
        value = obj[key]
        if attr == "time":
            ok = isinstance(value, str)
        elif attr == "circle_value":
            ok = isinstance(value, list) and all(_is_int(v) for v in value)
            value = tuple(value) if ok else value
        else:
            ok = _is_int(value)
        if not ok:
            problems.append(Problem(f"{path}.{key}", "has the wrong type."))
            continue
        values[attr] = value
    return StrategyContent(**values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_object(cls: type[_T], data: Mapping[str, str], prefix: str, problems: list[Problem]) -> _T | None:
    values: dict[str, Any] = {}
    missing = False
    for spec in fields(cls):
        wire_name = prefix + spec.metadata["wire"]
        kind = spec.metadata["kind"]
        required = spec.default is MISSING
        if kind == TARGETS:
            values[spec.name] = _parse_targets(data, wire_name, problems)
            continue
        if wire_name not in data:
            if required:
                problems.append(Problem(wire_name, "is required."))
                missing = True
            continue
        values[spec.name] = _parse_scalar(data[wire_name], kind, wire_name, problems)
        if values[spec.name] is None and required:
            missing = True
    return None if missing else cls(**values)


_TARGET_KEY_RE = re.compile(r"TargetMsg\.([0-9]+)\.")


def _parse_targets(data: Mapping[str, str], wire_name: str, problems: list[Problem]) -> tuple[TargetMsg, ...]:
    indexes = sorted({int(m.group(1)) for name in data if (m := _TARGET_KEY_RE.match(name))})
    if indexes and indexes != list(range(1, len(indexes) + 1)):
        problems.append(Problem(wire_name, "entries must be numbered 1, 2, 3… without gaps."))
    targets = []
    for index in indexes:
        target = _parse_object(TargetMsg, data, f"{wire_name}.{index}.", problems)
        if target is not None:
            targets.append(target)
    return tuple(targets)


_ACTIONS: dict[str, type[ApiRequest]] = {
    cls.ACTION: cls
    for cls in (
        PushMultipleRequest,
        CancelPushSchedulerRequest,
        QueryPushSchedulerListRequest,
        RevokePushTaskRequest,
        CreateTemplateRequest,
        GetTemplateRequest,
        DeleteTemplateRequest,
        ListTemplatePageRequest,
        QueryPushAnalysisTaskListRequest,
        QueryPushAnalysisTaskDetailRequest,
        QueryPushAnalysisCoreIndexRequest,
        PushQueryDeviceStateRequest,
    )
}


def parse_request(action: str, data: Mapping[str, str]) -> ApiRequest:
    """Typed request from decoded business fields (what the sandbox receives).

    Unknown fields are ignored, as a gateway ignores them. Raises KeyError for an
    action this module does not model and WireFormatError when a field cannot be
    read; semantic checks are left to :mod:`pushadmin.mpaas.validation`.
    """
    cls = _ACTIONS[action]
    problems: list[Problem] = []
    request = _parse_object(cls, data, "", problems)
    if problems or request is None:
        raise WireFormatError(problems)
    return request
