"""Campaigns over the API: each route calls the same action as the page's button."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from pushadmin.accounts.models import Role
from pushadmin.api import cursors
from pushadmin.api.authentication import TokenRequest, allow, scoped
from pushadmin.api.problems import Problem, ProblemOut, form_errors
from pushadmin.api.schemas import (
    CampaignFilters,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    DecisionIn,
    MessageFilters,
    MessageOut,
    MessagePage,
    PreflightOut,
    ProgressOut,
    RejectIn,
    RowProblemOut,
)
from pushadmin.campaigns import rows as campaign_rows
from pushadmin.campaigns.forms import FALLBACK_PREFIX, CampaignForm
from pushadmin.campaigns.lifecycle import TransitionRefused
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.options import VENDORS, ChannelOptions
from pushadmin.campaigns.preflight import preflight
from pushadmin.campaigns.settings_forms import ChannelOptionsForm, StrategyForm
from pushadmin.campaigns.strategy import Strategy
from pushadmin.campaigns.views import create_campaign, submit_campaign
from pushadmin.delivery import controls
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.delivery.progress import campaign_progress
from pushadmin.delivery.views import OPERATORS, STOPPERS, VIEWERS
from pushadmin.reviews import approving

router = Router(tags=["campaigns"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 412, 422, 429}): ProblemOut}
CAMPAIGNS = Campaign.objects.select_related("template", "workspace")


def _campaign(request: TokenRequest, campaign_id: int) -> Campaign:
    return get_object_or_404(CAMPAIGNS, workspace=request.workspace, pk=campaign_id)


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "status_label": str(campaign.status_label),
        "template_id": campaign.template_id,
        "audience_id": campaign.audience_id,
        "delivery_type": campaign.delivery_type,
        "missing_policy": campaign.missing_policy,
        "fallback_values": campaign.fallback_values or {},
        "options": campaign.options or {},
        "strategy": campaign.strategy or {},
        "revision": campaign.revision,
        "fingerprint": campaign.fingerprint,
        "rows": campaign.rows_expected,
        "rows_state": campaign.rows_state,
        "pause_reason": campaign.pause_reason,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
        "submitted_at": campaign.submitted_at,
        "approved_at": campaign.approved_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
    }


def with_etag(request: HttpRequest, version: str, answer: Callable[[], Any]) -> Any:
    """Answer 304 when the caller's If-None-Match names this version, else the body with its ETag."""
    etag = '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match", "") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    request.pushadmin_etag = etag  # type: ignore[attr-defined]  # set on the response by the API's renderer
    return answer()


# ---------------------------------------------------------------------------------------------- forms


def _form_data(payload: CampaignIn) -> QueryDict:
    """The JSON body as the builder's three forms would receive it, so they validate it the same way."""
    data = QueryDict(mutable=True)
    data.update(
        {
            "name": payload.name,
            "template": str(payload.template_id),
            "delivery_type": str(payload.delivery_type),
            "audience": "" if payload.audience_id is None else str(payload.audience_id),
            "missing_policy": payload.missing_policy,
        }
    )
    for name, value in payload.fallback_values.items():
        data[FALLBACK_PREFIX + name] = value
    options = payload.options
    plain = options.model_dump(exclude={"categories", "levels", "extended_params", "activity_content_state"})
    for name, value in plain.items():
        data[f"opt-{name}"] = "" if value is None else str(value)
    if options.activity_content_state is not None:
        data["opt-activity_content_state"] = json.dumps(options.activity_content_state, ensure_ascii=False)
    for key, _ in VENDORS:
        data[f"opt-category_{key}"] = options.categories.get(key, "")
        data[f"opt-level_{key}"] = options.levels.get(key, "")
    for index, (key, value) in enumerate(options.extended_params.items()):
        data[f"opt-ext_key_{index}"], data[f"opt-ext_value_{index}"] = key, value
    strategy = payload.strategy
    for name in ("type", "fixed_at", "circle", "time", "start_date", "end_date"):
        data[f"s-{name}"] = getattr(strategy, name)
    data["s-time_zone"] = strategy.time_zone or Strategy().time_zone
    data.setlist("s-days", [str(day) for day in strategy.days])
    data["s-month_days"] = ", ".join(str(day) for day in strategy.month_days)
    return data


OPTION_FIELDS = {"expiry_value": "expiry_value"} | {
    **{f"category_{key}": f"categories.{key}" for key, _ in VENDORS},
    **{f"level_{key}": f"levels.{key}" for key, _ in VENDORS},
}


def _validated_forms(
    request: TokenRequest, payload: CampaignIn
) -> tuple[CampaignForm, ChannelOptionsForm, StrategyForm]:
    data = _form_data(payload)
    campaign = Campaign(workspace=request.workspace, created_by=request.user)
    forms = (
        CampaignForm(data, instance=campaign, workspace=request.workspace),
        ChannelOptionsForm(data, initial_options=ChannelOptions(extended_params=dict(payload.options.extended_params))),
        StrategyForm(data),
    )
    if all(form.is_valid() for form in forms):
        return forms
    main, options, strategy = forms
    names = {"template": "template_id", "audience": "audience_id"}
    names |= {FALLBACK_PREFIX + name: f"fallback_values.{name}" for name in main.placeholder_names()}
    keys = list(payload.options.extended_params)
    ext = {f"ext_key_{i}": f"extended_params.{key}" for i, key in enumerate(keys)}
    errors = form_errors(main, names)
    errors += form_errors(options, {**OPTION_FIELDS, **ext}, prefix="options")
    errors += form_errors(strategy, {"month_days": "month_days"}, prefix="strategy")
    raise Problem(422, "The campaign is not valid; see errors.", errors)


def _rows_data(payload: CampaignIn, names: list[str]) -> QueryDict:
    """Inline rows as the builder's row table posts them, so they are checked by the same code."""
    data = QueryDict(mutable=True)
    data.setlist("rows", [f"new-{i}" for i in range(len(payload.rows))])
    for index, row in enumerate(payload.rows):
        data[f"row-new-{index}-target"] = row.target
        for name in names:
            data[f"row-new-{index}-v-{name}"] = row.values.get(name, "")
        if row.extended_params is not None:
            data[f"row-new-{index}-ext"] = json.dumps(row.extended_params, ensure_ascii=False)
    return data


# --------------------------------------------------------------------------------------------- routes


@router.get("/campaigns", response={200: CampaignPage, **ERRORS}, **allow(*VIEWERS))
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]) -> dict[str, Any]:
    """Campaigns of the token's workspace, newest first; `status` filters by state."""
    status = filters.status
    campaigns = CAMPAIGNS.filter(workspace=scoped(request).workspace)
    if status:
        if status not in CampaignStatus.values:
            raise Problem(422, "Unknown status.", [("status", f"One of {', '.join(CampaignStatus.values)}.")])
        campaigns = campaigns.filter(status=status)
    page, next_cursor = cursors.page(campaigns, filters.cursor, filters.limit, key="pk", descending=True)
    return {"items": [campaign_out(c) for c in page], "next_cursor": next_cursor}


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, **allow(Role.MARKETER))
def create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Create a draft from a template, with an audience or rows typed inline, options and a strategy."""
    scope = scoped(request)
    if payload.audience_id is not None and payload.rows:
        raise Problem(422, "Give rows or an audience, not both.", [("rows", "Leave out rows when naming an audience.")])
    forms = _validated_forms(scope, payload)
    # The builder skips a blank row left in its table; a row sent on purpose must have a target.
    blank = [(f"rows.{i}", "The target is empty.") for i, row in enumerate(payload.rows) if not row.target.strip()]
    if blank:
        raise Problem(422, "Some rows are not valid; nothing was saved.", blank)
    with transaction.atomic():
        campaign = create_campaign(scope, forms)
        if payload.rows:
            result = campaign_rows.save_rows(campaign, _rows_data(payload, campaign_rows.names_of(campaign)))
            if result.errors:  # raised inside the transaction: the campaign is not kept either
                errors = [(f"rows.{key.removeprefix('new-')}", message) for key, message in result.errors.items()]
                raise Problem(422, "Some rows are not valid; nothing was saved.", errors)
    campaign.refresh_from_db()
    return Status(201, campaign_out(campaign))


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, 304: None, **ERRORS}, **allow(*VIEWERS))
def read(request: HttpRequest, campaign_id: int) -> Any:
    """One campaign; send its ETag back as If-None-Match to poll cheaply (304 while unchanged)."""
    campaign = _campaign(scoped(request), campaign_id)
    version = f"{campaign.pk}:{campaign.updated_at.isoformat()}:{campaign.status}:{campaign.revision}"
    return with_etag(request, version, lambda: campaign_out(campaign))


@router.get("/campaigns/{campaign_id}/preflight", response={200: PreflightOut, **ERRORS}, **allow(*VIEWERS))
def preflight_report(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Every bad row and every reason that blocks submission, as on the campaign page."""
    report = preflight(_campaign(scoped(request), campaign_id), scan_cold=False)
    return {
        "blocks_submission": report.blocks_submission,
        "checking": report.checking,
        "total_rows": report.total_rows,
        "rows_to_send": report.rows_to_send,
        "rows_skipped": report.rows_skipped,
        "rows_using_fallback": report.rows_using_fallback,
        "problem_rows": report.problem_rows,
        "block_reasons": list(report.block_reasons),
        "warnings": list(report.warnings),
        "campaign_problems": list(report.campaign_problems),
        "problems": [
            RowProblemOut(row=p.seq, target=p.target, kind=p.kind, message=p.message) for p in report.problems[:500]
        ],
    }


@router.post("/campaigns/{campaign_id}/submit", response={200: CampaignOut, **ERRORS}, **allow(Role.MARKETER))
def submit(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Send a draft to review, refused with the pre-flight's reasons while it blocks."""
    scope = scoped(request)
    try:
        campaign = submit_campaign(scope, _campaign(scope, campaign_id))
    except TransitionRefused as refused:
        raise Problem(409, str(refused)) from None
    return campaign_out(campaign)


@router.post("/campaigns/{campaign_id}/approve", response={200: CampaignOut, **ERRORS}, **allow(Role.REVIEWER))
def approve(request: HttpRequest, campaign_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Approve the revision and fingerprint you reviewed; never your own campaign (four eyes)."""
    scope = scoped(request)
    campaign = _campaign(scope, campaign_id)
    shown = approving.Shown(payload.revision, payload.fingerprint.strip())
    try:
        campaign = approving.approve(campaign, request=scope, shown=shown)
    except approving.ReviewRefused as refused:
        raise Problem(409, str(refused)) from None
    return campaign_out(campaign)


@router.post("/campaigns/{campaign_id}/reject", response={200: CampaignOut, **ERRORS}, **allow(Role.REVIEWER))
def reject(request: HttpRequest, campaign_id: int, payload: RejectIn) -> dict[str, Any]:
    """Send the reviewed revision back to draft with a reason."""
    scope = scoped(request)
    campaign = _campaign(scope, campaign_id)
    if not payload.reason.strip():
        raise Problem(
            422, "Say why you reject it.", [("reason", "Say why you reject it, so the author knows what to change.")]
        )
    shown = approving.Shown(payload.revision, payload.fingerprint.strip())
    try:
        campaign = approving.reject(campaign, request=scope, reason=payload.reason, shown=shown)
    except approving.ReviewRefused as refused:
        raise Problem(409, str(refused)) from None
    return campaign_out(campaign)


def _control(action: Callable[..., Campaign], roles: tuple[str, ...], path: str, doc: str) -> None:
    def control(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
        scope = scoped(request)
        campaign = _campaign(scope, campaign_id)
        try:
            campaign = action(campaign, request=scope)
        except TransitionRefused as refused:
            raise Problem(409, str(refused)) from None
        campaign.refresh_from_db()
        return campaign_out(campaign)

    control.__name__ = action.__name__
    control.__doc__ = doc
    router.post(f"/campaigns/{{campaign_id}}/{path}", response={200: CampaignOut, **ERRORS}, **allow(*roles))(control)


_control(controls.pause, STOPPERS, "pause", "Stop starting calls; calls on their way are recorded.")
_control(controls.resume, OPERATORS, "resume", "Carry on from where it stopped.")
_control(controls.cancel, STOPPERS, "cancel", "Stop for good; unsent messages become cancelled.")
_control(controls.resend_failed, OPERATORS, "resend-failed", "Send rejected messages again, with new MsgKeys.")


@router.get("/campaigns/{campaign_id}/progress", response={200: ProgressOut, 304: None, **ERRORS}, **allow(*VIEWERS))
def progress(request: HttpRequest, campaign_id: int) -> Any:
    """Counts by outcome, rate and ETA while sending; poll with If-None-Match."""
    campaign = _campaign(scoped(request), campaign_id)
    figures = campaign_progress(campaign)
    version = f"{campaign.updated_at.isoformat()}:{campaign.status}:{sorted(figures.counts.items())}"
    return with_etag(
        request,
        version,
        lambda: {
            "campaign_id": campaign.pk,
            "status": campaign.status,
            "total": figures.total,
            "done": figures.done,
            "remaining": figures.remaining,
            "done_percent": figures.done_percent,
            "counts": figures.counts,
            "rate_per_second": figures.rate_per_second,
            "eta_seconds": figures.eta_seconds,
            "api_calls": figures.api_calls,
            "pause_reason": campaign.pause_reason,
            "updated_at": campaign.updated_at,
        },
    )


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        row=message.seq,
        target=message.target,
        msg_key=message.msg_key,
        status=message.status,
        send_round=message.send_round,
        request_id=message.request_id,
        task_id=message.task_id,
        result_code=message.result_code,
        result_message=message.result_message,
        updated_at=message.updated_at,
    )


@router.get("/campaigns/{campaign_id}/messages", response={200: MessagePage, **ERRORS}, **allow(*VIEWERS))
def messages(request: HttpRequest, campaign_id: int, filters: Query[MessageFilters]) -> dict[str, Any]:
    """Each message's outcome in row order; filter by `status` or by target, MsgKey or RequestId (`q`)."""
    status, q = filters.status, filters.q
    campaign = _campaign(scoped(request), campaign_id)
    rows = Message.objects.filter(campaign=campaign)
    if status:
        if status not in MessageStatus.values:
            raise Problem(422, "Unknown status.", [("status", f"One of {', '.join(MessageStatus.values)}.")])
        rows = rows.filter(status=status)
    if q.strip():
        text = q.strip()
        rows = rows.filter(Q(target__icontains=text) | Q(msg_key__icontains=text) | Q(request_id=text))
    page, next_cursor = cursors.page(rows, filters.cursor, filters.limit, key="seq")
    return {"items": [message_out(m) for m in page], "next_cursor": next_cursor}
