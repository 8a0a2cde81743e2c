"""What the API takes and gives back, as pydantic models (the OpenAPI document is made from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from pushadmin.api import cursors


class TemplateIn(Schema):
    name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    content: str = Field(max_length=2000)
    sample_values: dict[str, str] = {}


class TemplateOut(Schema):
    id: int
    name: str
    title: str
    content: str
    placeholders: list[str]
    sample_values: dict[str, Any]
    mpaas_state: str
    mpaas_state_label: str
    mpaas_checked_at: datetime | None
    mpaas_template_id: str
    mpaas_error: str
    created_at: datetime
    updated_at: datetime


class SyncOut(Schema):
    ok: bool
    detail: str
    template: TemplateOut


class ChannelOptionsIn(Schema):
    """The builder's channel options; values are those of the builder's drop-downs."""

    expiry_value: int = Field(1, ge=1, le=259_200)
    expiry_unit: str = "days"
    notify_type: str = ""
    push_action: str = ""
    silent: str = ""
    classification: str = ""
    channel_id: str = Field("", max_length=100)
    mi_channel_id: str = Field("", max_length=100)
    activity_event: str = ""
    activity_content_state: dict[str, Any] | None = None
    dismissal_date: int | None = Field(None, ge=1, le=2**53)
    categories: dict[str, str] = Field({}, description="Vendor key (hms, honor, vivo, oppo, xiaomi) → category.")
    levels: dict[str, str] = Field({}, description="Vendor key → notify level.")
    extended_params: dict[str, str] = {}


class StrategyIn(Schema):
    type: str = "immediate"
    time_zone: str = ""
    fixed_at: str = ""
    circle: str = ""
    days: list[int] = []
    month_days: list[int] = []
    time: str = ""
    start_date: str = ""
    end_date: str = ""


class RowIn(Schema):
    target: str = Field(max_length=128)
    values: dict[str, str] = {}
    extended_params: dict[str, Any] | None = None


class CampaignIn(Schema):
    name: str = Field(max_length=120)
    template_id: int = Field(ge=1, le=2**53)
    delivery_type: int = 3
    audience_id: int | None = Field(None, ge=1, le=2**53)
    missing_policy: str = "block"
    fallback_values: dict[str, str] = {}
    options: ChannelOptionsIn = Field(default_factory=lambda: ChannelOptionsIn.model_validate({}))
    strategy: StrategyIn = Field(default_factory=lambda: StrategyIn.model_validate({}))
    rows: list[RowIn] = Field([], max_length=10_000, description="Rows typed inline; not with an audience.")


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    status_label: str
    template_id: int
    audience_id: int | None
    delivery_type: int
    missing_policy: str
    fallback_values: dict[str, Any]
    options: dict[str, Any]
    strategy: dict[str, Any]
    revision: int
    fingerprint: str
    rows: int
    rows_state: str
    pause_reason: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class RowProblemOut(Schema):
    row: int
    target: str
    kind: str
    message: str


class PreflightOut(Schema):
    blocks_submission: bool
    # A large campaign's rows are checked by a worker: poll until this is false for the row figures.
    checking: bool
    total_rows: int
    rows_to_send: int
    rows_skipped: int
    rows_using_fallback: int
    problem_rows: int
    block_reasons: list[str]
    warnings: list[str]
    campaign_problems: list[str]
    problems: list[RowProblemOut]


class DecisionIn(Schema):
    """What the reviewer saw: a decision on any other revision or fingerprint is refused."""

    revision: int = Field(ge=1, le=2**31)
    fingerprint: str = Field(max_length=64)


class RejectIn(DecisionIn):
    reason: str = Field(max_length=2000)


class ProgressOut(Schema):
    campaign_id: int
    status: str
    total: int
    done: int
    remaining: int
    done_percent: float
    counts: dict[str, int]
    rate_per_second: float
    eta_seconds: float | None
    api_calls: int
    pause_reason: str
    updated_at: datetime


class MessageOut(Schema):
    row: int
    target: str
    msg_key: str
    status: str
    send_round: int
    request_id: str
    task_id: str
    result_code: str
    result_message: str
    updated_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class AuditEntryOut(Schema):
    number: int
    created_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any]
    hash: str


class AuditPage(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None


class Page(Schema):
    cursor: str = Field("", max_length=100, description="next_cursor of the previous page; empty for the first.")
    limit: int = Field(100, ge=1, le=cursors.MAX_LIMIT)


class CampaignFilters(Page):
    status: str = ""


class MessageFilters(Page):
    status: str = ""
    q: str = Field("", max_length=128, description="Part of a target or MsgKey, or a whole RequestId.")


class AuditFilters(Page):
    action: str = Field("", max_length=64, description="An action code or its start, e.g. campaign.")
    object_type: str = Field("", max_length=64)
    object_id: str = Field("", max_length=64)


class ImportOut(Schema):
    id: int
    status: str
    file: str
    percent: int
    rows_read: int
    rows_imported: int
    rows_rejected: int
    error: str
    created_at: datetime
    finished_at: datetime | None


class AudienceOut(Schema):
    id: int
    name: str
    delivery_type: int
    members: int
    columns: list[str]
    import_status: str
    latest_import: ImportOut | None
    updated_at: datetime


class RejectedRowOut(Schema):
    line: int
    target: str
    reason: str


class RejectedRowPage(Schema):
    items: list[RejectedRowOut]
    next_cursor: str | None
