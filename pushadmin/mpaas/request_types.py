"""Typed requests for the push and template actions pushadmin calls.

Attribute names are snake_case; each field's ``wire`` metadata is the PascalCase
form-field name the gateway expects, and ``kind`` says how the value is
written (see :mod:`pushadmin.mpaas.wire`). ``None`` means "not set": such
fields are left out of the body, as the SDKs do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

API_VERSIONS: tuple[str, ...] = ("2019-08-21", "2020-07-10", "2020-10-28")
DEFAULT_API_VERSION = "2019-08-21"

# How a scalar field is written on the wire.
STR = "str"
INT = "int"
JSON_OBJECT = "json"  # a mapping, sent as one compact JSON text
STRATEGY = "strategy"  # StrategyContent, sent as one compact JSON text
TARGETS = "targets"  # TargetMsg list, flattened to TargetMsg.N.Field
CSV = "csv"  # a list of ids joined with commas


def _wire(name: str, kind: str = STR, *, default: Any = None) -> Any:
    return field(default=default, metadata={"wire": name, "kind": kind})


def _required(name: str, kind: str = STR) -> Any:
    return field(metadata={"wire": name, "kind": kind})


@dataclass(frozen=True, kw_only=True)
class TargetMsg:
    """One PushMultiple recipient and the values for its template placeholders."""

    target: str = _required("Target")
    msg_key: str = _required("MsgKey")
    template_key_value: Mapping[str, Any] | None = _wire("TemplateKeyValue", JSON_OBJECT)
    extended_params: Mapping[str, Any] | None = _wire("ExtendedParams", JSON_OBJECT)


@dataclass(frozen=True, kw_only=True)
class StrategyContent:
    """Schedule of a scheduled (StrategyType 1) or loop (StrategyType 2) push.

    Times are epoch milliseconds; ``time`` is ``HH:mm:ss`` in the schedule's time zone.
    """

    fixed_time: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    circle_type: int | None = None
    circle_value: tuple[int, ...] | None = None
    time: str | None = None

    JSON_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("fixed_time", "fixedTime"),
        ("start_time", "startTime"),
        ("end_time", "endTime"),
        ("circle_type", "circleType"),
        ("circle_value", "circleValue"),
        ("time", "time"),
    )

    def to_json_object(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for attr, key in self.JSON_KEYS:
            value = getattr(self, attr)
            if value is not None:
                result[key] = list(value) if attr == "circle_value" else value
        return result


@dataclass(frozen=True, kw_only=True)
class PushMultipleRequest:
    """``PushMultiple``: one template, up to 100 targets each with its own values."""

    ACTION: ClassVar[str] = "PushMultiple"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    task_name: str = _required("TaskName")
    template_name: str = _required("TemplateName")
    delivery_type: int = _required("DeliveryType", INT)
    target_msgs: Sequence[TargetMsg] = _required("TargetMsg", TARGETS)
    expired_seconds: int = _required("ExpiredSeconds", INT)
    tenant_id: str | None = _wire("TenantId")
    extended_params: Mapping[str, Any] | None = _wire("ExtendedParams", JSON_OBJECT)
    notify_type: str | None = _wire("NotifyType")
    push_action: int | None = _wire("PushAction", INT)
    silent: int | None = _wire("Silent", INT)
    classification: str | None = _wire("Classification")
    strategy_type: int | None = _wire("StrategyType", INT)
    # _wire returns a dataclasses.field(), which ruff cannot see through.
    strategy_content: StrategyContent | None = _wire("StrategyContent", STRATEGY)  # noqa: RUF009
    third_channel_category: Mapping[str, Any] | None = _wire("ThirdChannelCategory", JSON_OBJECT)
    notify_level: Mapping[str, Any] | None = _wire("NotifyLevel", JSON_OBJECT)
    channel_id: str | None = _wire("ChannelId")
    mi_channel_id: str | None = _wire("MiChannelId")
    transparent_message_payload: Mapping[str, Any] | None = _wire("TransparentMessagePayload", JSON_OBJECT)
    transparent_message_urgency: str | None = _wire("TransparentMessageUrgency")
    vendor_template: str | None = _wire("VendorTemplate")
    activity_event: str | None = _wire("ActivityEvent")
    activity_content_state: Mapping[str, Any] | None = _wire("ActivityContentState", JSON_OBJECT)
    dismissal_date: int | None = _wire("DismissalDate", INT)


@dataclass(frozen=True, kw_only=True)
class CancelPushSchedulerRequest:
    """``CancelPushScheduler``: cancel scheduled or loop tasks by their unique ids."""

    ACTION: ClassVar[str] = "CancelPushScheduler"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    unique_ids: Sequence[str] = _required("UniqueIds", CSV)
    type: int | None = _wire("Type", INT)
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class QueryPushSchedulerListRequest:
    """``QueryPushSchedulerList``: scheduled tasks whose fire time is in [start, end] (ms)."""

    ACTION: ClassVar[str] = "QueryPushSchedulerList"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    start_time: int = _required("StartTime", INT)
    end_time: int = _required("EndTime", INT)
    type: int | None = _wire("Type", INT)
    unique_id: str | None = _wire("UniqueId")
    page_number: int | None = _wire("PageNumber", INT)
    page_size: int | None = _wire("PageSize", INT)


@dataclass(frozen=True, kw_only=True)
class CreateTemplateRequest:
    """``CreateTemplate``: a console template, placeholders written ``#name#`` in title and content."""

    ACTION: ClassVar[str] = "CreateTemplate"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    template_name: str = _required("TemplateName")
    title: str = _required("Title")
    content: str = _required("Content")
    # The placeholder names, sent comma-separated.
    variables: Sequence[str] | None = _wire("Variables", CSV)
    desc_info: str | None = _wire("DescInfo")
    uri: str | None = _wire("Uri")
    show_style: int | None = _wire("ShowStyle", INT)
    push_style: int | None = _wire("PushStyle", INT)
    image_urls: Mapping[str, Any] | None = _wire("ImageUrls", JSON_OBJECT)
    icon_urls: Mapping[str, Any] | None = _wire("IconUrls", JSON_OBJECT)
    jump_action: int | None = _wire("JumpAction", INT)
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class GetTemplateRequest:
    """``GetTemplate``: one template, by its id or by its name."""

    ACTION: ClassVar[str] = "GetTemplate"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    template_id: str | None = _wire("TemplateId")
    template_name: str | None = _wire("TemplateName")
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class DeleteTemplateRequest:
    """``DeleteTemplate``: remove one template, by its id or by its name."""

    ACTION: ClassVar[str] = "DeleteTemplate"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    template_id: str | None = _wire("TemplateId")
    template_name: str | None = _wire("TemplateName")
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class ListTemplatePageRequest:
    """``ListTemplatePage``: one page of the app's templates (pages count from 1)."""

    ACTION: ClassVar[str] = "ListTemplatePage"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    current_page: int | None = _wire("CurrentPage", INT)
    page_size: int | None = _wire("PageSize", INT)
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class RevokePushTaskRequest:
    """``RevokePushTask``: recall every message of one PushMultiple task, within 7 days of its send."""

    ACTION: ClassVar[str] = "RevokePushTask"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    task_id: str = _required("TaskId")
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class QueryPushAnalysisTaskListRequest:
    """``QueryPushAnalysisTaskList``: the app's push tasks created since ``start_time`` (ms), by id or name."""

    ACTION: ClassVar[str] = "QueryPushAnalysisTaskList"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    start_time: int = _required("StartTime", INT)
    task_id: str | None = _wire("TaskId")
    task_name: str | None = _wire("TaskName")
    page_number: int | None = _wire("PageNumber", INT)
    page_size: int | None = _wire("PageSize", INT)
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class QueryPushAnalysisTaskDetailRequest:
    """``QueryPushAnalysisTaskDetail``: when one task ran and how many it pushed and reached."""

    ACTION: ClassVar[str] = "QueryPushAnalysisTaskDetail"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    task_id: str = _required("TaskId")
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class QueryPushAnalysisCoreIndexRequest:
    """``QueryPushAnalysisCoreIndex``: push, arrival, open and ignore figures over whole days (ms, ≤ 90 days).

    ``platform``, ``channel``, ``type`` and ``task_id`` narrow the figures; unset means all.
    """

    ACTION: ClassVar[str] = "QueryPushAnalysisCoreIndex"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    start_time: int = _required("StartTime", INT)
    end_time: int = _required("EndTime", INT)
    platform: str | None = _wire("Platform")
    channel: str | None = _wire("Channel")
    type: str | None = _wire("Type")
    task_id: str | None = _wire("TaskId")
    tenant_id: str | None = _wire("TenantId")


@dataclass(frozen=True, kw_only=True)
class PushQueryDeviceStateRequest:
    """``PushQueryDeviceState``: one target's platform, vendor and binding state."""

    ACTION: ClassVar[str] = "PushQueryDeviceState"

    app_id: str = _required("AppId")
    workspace_id: str = _required("WorkspaceId")
    target: str = _required("Target")
    target_type: int = _required("TargetType", INT)
    tenant_id: str | None = _wire("TenantId")


AnalysisRequest = (
    QueryPushAnalysisTaskListRequest
    | QueryPushAnalysisTaskDetailRequest
    | QueryPushAnalysisCoreIndexRequest
    | PushQueryDeviceStateRequest
)

TemplateRequest = CreateTemplateRequest | GetTemplateRequest | DeleteTemplateRequest | ListTemplatePageRequest
# These answer with {Success, Code, Msg, Data} instead of the push actions' ResultCode shape;
# PushQueryDeviceState does too (its SDK model: Success, Code, Message, Data).
TEMPLATE_ACTIONS = frozenset(
    cls.ACTION
    for cls in (
        CreateTemplateRequest,
        GetTemplateRequest,
        DeleteTemplateRequest,
        ListTemplatePageRequest,
        PushQueryDeviceStateRequest,
    )
)

ApiRequest = (
    PushMultipleRequest
    | CancelPushSchedulerRequest
    | QueryPushSchedulerListRequest
    | RevokePushTaskRequest
    | TemplateRequest
    | AnalysisRequest
)
