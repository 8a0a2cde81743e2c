"""Fixed-time and loop campaigns: registered on mPaaS, or held here and sent at the time.

mPaaS can hold a scheduled (StrategyType 1) or loop (2) push itself, which keeps working
when pushadmin is down, but each PushMultiple call becomes one scheduled task and an app may
have at most 100 that have not run yet. So a campaign whose batches fit in what is left is
registered on mPaaS; a bigger fixed-time campaign is held in the database and the sweeper
starts it when it is due. A loop cannot be held here (each occurrence would need new
MsgKeys), so a loop too big for mPaaS is refused with the reason.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import IMMEDIATE, Strategy, strategy_content
from pushadmin.delivery import clients
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.request_types import CancelPushSchedulerRequest, QueryPushSchedulerListRequest
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL

logger = logging.getLogger(__name__)

ON_MPAAS = "mpaas"
HELD_LOCALLY = "local"
REFUSED = "refused"
MPAAS_UNEXECUTED_LIMIT = 100
# QueryPushSchedulerList filters by fire time; this window covers every loop mPaaS accepts.
SCHEDULE_HORIZON_DAYS = 181


def strategy_kind(campaign: Campaign) -> str:
    """ "immediate", "fixed" or "loop" (see pushadmin.campaigns.strategy)."""
    return Strategy.from_json(campaign.strategy).type


def fire_time(campaign: Campaign) -> datetime | None:
    """When a fixed-time campaign is due (loops: the start of their window)."""
    content = strategy_content(Strategy.from_json(campaign.strategy))
    if content is None:
        return None
    millis = content.fixed_time if content.fixed_time is not None else content.start_time
    return None if millis is None else datetime.fromtimestamp(millis / 1000, tz=UTC)


def batches_needed(campaign: Campaign) -> int:
    rows = Message.objects.filter(campaign=campaign).exclude(status=MessageStatus.SKIPPED).count()
    return (rows + MAX_TARGETS_PER_CALL - 1) // MAX_TARGETS_PER_CALL


def unexecuted_known_locally(campaign: Campaign) -> int:
    """Scheduled tasks this workspace registered on mPaaS for campaigns that have not fired yet."""
    waiting = Campaign.objects.filter(workspace=campaign.workspace, status=CampaignStatus.SCHEDULED).exclude(
        pk=campaign.pk
    )
    return (
        Message.objects.filter(campaign__in=waiting, status=MessageStatus.ACCEPTED).values("task_id").distinct().count()
    )


def scheduling_plan(campaign: Campaign, *, unexecuted: int | None = None) -> tuple[str, str]:
    """How a campaign will be sent and why, in words for the builder and the reviewer."""
    kind = strategy_kind(campaign)
    if kind == IMMEDIATE:
        return IMMEDIATE, "Sent as soon as it is approved."
    needed = batches_needed(campaign)
    taken = unexecuted_known_locally(campaign) if unexecuted is None else unexecuted
    room = MPAAS_UNEXECUTED_LIMIT - taken
    if needed <= room:
        return ON_MPAAS, (
            f"Registered on mPaaS as {needed} scheduled task{'s' if needed != 1 else ''} "
            f"({taken} of the {MPAAS_UNEXECUTED_LIMIT} unexecuted tasks mPaaS allows are already taken), "
            "so it fires even if pushadmin is down; cancelling it cancels them on mPaaS."
        )
    if kind == "loop":
        return REFUSED, (
            f"A loop needs {needed} scheduled tasks on mPaaS but only {max(room, 0)} of "
            f"{MPAAS_UNEXECUTED_LIMIT} are free; split the audience or wait for other schedules to run."
        )
    return HELD_LOCALLY, (
        f"It needs {needed} scheduled tasks but mPaaS allows {MPAAS_UNEXECUTED_LIMIT} unexecuted ones "
        f"({taken} taken), so pushadmin holds it and its workers send it at the time."
    )


def count_unexecuted_on_mpaas(campaign: Campaign) -> int:
    """Ask mPaaS how many scheduled tasks of this app have not run yet (QueryPushSchedulerList)."""
    workspace = campaign.workspace
    now_ms = int(time.time() * 1000)
    end_ms = now_ms + SCHEDULE_HORIZON_DAYS * 24 * 3600 * 1000
    result = clients.client_for(workspace).query_push_scheduler_list(
        QueryPushSchedulerListRequest(
            app_id=workspace.app_id,
            workspace_id=workspace.mpaas_workspace_id,
            start_time=now_ms,
            end_time=end_ms,
            page_size=500,
        )
    )
    outcome = result.outcome
    if not isinstance(outcome, errors.Accepted):
        raise RuntimeError(f"QueryPushSchedulerList failed: {getattr(outcome, 'code', '')} {outcome}")
    data: dict[str, Any] = (outcome.body.get("ResultContent") or {}).get("Data") or {}
    return sum(1 for task in data.get("List") or [] if str(task.get("ExecutedStatus")) == "0")


def schedule_campaign(campaign_id: int) -> None:
    """An approved fixed-time or loop campaign: register it on mPaaS or hold it here."""
    from pushadmin.delivery import sending

    campaign = Campaign.objects.select_related("workspace", "template").get(pk=campaign_id)
    try:
        unexecuted = count_unexecuted_on_mpaas(campaign)
    except Exception:  # an unreachable endpoint must not lose the approval
        logger.exception("could not count scheduled tasks on mPaaS; using pushadmin's own count")
        unexecuted = None
    mode, reason = scheduling_plan(campaign, unexecuted=unexecuted)
    if mode == ON_MPAAS:
        # The calls carry StrategyType 1/2 and their schedule; mPaaS fires them at the time.
        sending.start_campaign(campaign.pk)
        return
    if mode == REFUSED:
        with contextlib.suppress(TransitionRefused):
            transition(
                campaign,
                CampaignStatus.CANCELLED,
                action="campaign.schedule_refused",
                expected=[CampaignStatus.APPROVED],
                changes={"pause_reason": reason[:300]},
                detail={"reason": reason},
            )
        return
    with contextlib.suppress(TransitionRefused):
        transition(
            campaign,
            CampaignStatus.SCHEDULED,
            action="campaign.scheduled",
            expected=[CampaignStatus.APPROVED],
            detail={"mode": mode, "reason": reason, "due": str(fire_time(campaign))},
        )


def status_once_all_sent(campaign: Campaign, outcome_status: str) -> str:
    """The status a campaign takes when all its batches have an outcome (`outcome_status` says how they went)."""
    return outcome_status


def start_due_campaigns(now: datetime | None = None) -> list[int]:
    """Campaigns held here whose time has come start sending (called by the sweeper)."""
    from pushadmin.delivery import sending

    now = now or timezone.now()
    started = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.SCHEDULED):
        due = fire_time(campaign)
        if due is not None and due > now:
            continue
        if due is not None and now - due > timedelta(days=1):
            logger.warning("campaign %s was due at %s; sending late", campaign.pk, due)
        if sending.start_campaign(campaign.pk) is not None:
            started.append(campaign.pk)
    return started


def cancel_on_mpaas(campaign: Campaign) -> None:
    """Cancel the scheduled tasks a campaign registered on mPaaS (CancelPushScheduler)."""
    if strategy_kind(campaign) == IMMEDIATE:
        return
    ids = sorted(
        set(
            Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED)
            .exclude(task_id="")
            .values_list("task_id", flat=True)
        )
    )
    if not ids:
        return
    workspace = campaign.workspace
    client = clients.client_for(workspace)
    for start in range(0, len(ids), 50):
        result = client.cancel_push_scheduler(
            CancelPushSchedulerRequest(
                app_id=workspace.app_id,
                workspace_id=workspace.mpaas_workspace_id,
                unique_ids=ids[start : start + 50],
                tenant_id=workspace.tenant_id or None,
            )
        )
        if not isinstance(result.outcome, errors.Accepted):
            logger.error("CancelPushScheduler failed for campaign %s: %s", campaign.pk, result.outcome)
