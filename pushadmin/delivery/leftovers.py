"""Scheduled tasks a cancelled campaign left on mPaaS, found and cancelled by the sweeper.

A fixed-time or loop call that registers its task after the campaign was cancelled records
the registration, then cancels the task on mPaaS (`controls.cancel_late_registrations`). A
worker killed between the two leaves the task waiting on mPaaS, to fire at its time; a
cancel whose CancelPushScheduler call failed leaves its tasks too. Both read the same in the
database: accepted rows of a cancelled campaign that still carry a task id. The sweeper
cancels those whose fire time has not passed.

Idempotent: a task mPaaS refuses to cancel and no longer lists (QueryPushSchedulerList) is
gone, most likely cancelled by a call whose answer was never recorded, so it counts as
cancelled. Rows recorded or cancels started in the last few sweeps are left to the process
still working on them.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import FIXED, LOOP
from pushadmin.delivery import clients, scheduling
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.request_types import QueryPushSchedulerListRequest

logger = logging.getLogger(__name__)


def _settled_before(now: datetime) -> datetime:
    return now - timedelta(seconds=3 * settings.PUSHADMIN_SWEEP_SECONDS)


def leftover_rows(now: datetime) -> Any:
    """Accepted rows of cancelled campaigns that still carry the id of a task on mPaaS, settled for a few sweeps."""
    return Message.objects.filter(status=MessageStatus.ACCEPTED, updated_at__lt=_settled_before(now)).exclude(
        task_id=""
    )


def cancel_leftover_tasks(now: datetime | None = None) -> list[int]:
    """Cancel on mPaaS what cancelled campaigns left there; returns the campaigns for which something changed."""
    now = now or timezone.now()
    candidates = (
        Campaign.objects.filter(status=CampaignStatus.CANCELLED, updated_at__lt=_settled_before(now))
        .filter(strategy__type__in=[FIXED, LOOP])
        .filter(Exists(leftover_rows(now).filter(campaign=OuterRef("pk"))))
        .select_related("workspace")
    )
    changed = []
    for campaign in candidates:
        last = scheduling.last_fire_time(campaign)
        if last is None or last <= now:
            continue  # mPaaS has run them: nothing is left to cancel
        if cancel_leftovers_of(campaign):
            changed.append(campaign.pk)
    return changed


def cancel_leftovers_of(campaign: Campaign) -> bool:
    """Ask mPaaS to cancel the campaign's remaining tasks; True when any of them ends cancelled here."""
    on_mpaas = scheduling.cancel_on_mpaas(campaign)
    gone = [refused.task_id for refused in on_mpaas.refused if _gone_from_mpaas(campaign, refused.task_id)]
    if gone:
        # Marked as a cancel mPaaS answered is, with its own audit entry (no request id: no call cancelled them).
        scheduling.mark_cancelled(campaign, gone, "", request=None)
    refused = [r for r in on_mpaas.refused if r.task_id not in gone]
    if not on_mpaas.cancelled and not gone:
        logger.warning("tasks campaign %s left on mPaaS are still there: %s", campaign.pk, on_mpaas.summary())
        return False
    trail.record(
        "delivery.leftover_tasks_cancelled",
        workspace=campaign.workspace,
        obj=campaign,
        detail={
            "mpaas_cancelled": on_mpaas.cancelled,
            "already_gone": gone,
            "mpaas_refused": [{"task_id": r.task_id, "code": r.code, "meaning": r.meaning} for r in refused],
            **({"mpaas_error": on_mpaas.failure} if on_mpaas.failure else {}),
        },
    )
    logger.info("cancelled tasks campaign %s left on mPaaS: %s, already gone: %s", campaign.pk, on_mpaas, gone)
    return True


def _gone_from_mpaas(campaign: Campaign, task_id: str) -> bool:
    """mPaaS no longer lists the task (QueryPushSchedulerList by its id); False when it does or cannot say."""
    workspace = campaign.workspace
    now_ms = int(time.time() * 1000)
    horizon_ms = scheduling.SCHEDULE_HORIZON_DAYS * 24 * 3600 * 1000
    try:
        client = clients.client_for(workspace)
    except Exception:  # e.g. an unreadable stored secret: nothing can be asked
        logger.exception("no mPaaS client for workspace %s", workspace.pk)
        return False
    outcome = client.query_push_scheduler_list(
        QueryPushSchedulerListRequest(
            app_id=workspace.app_id,
            workspace_id=workspace.mpaas_workspace_id,
            start_time=now_ms - horizon_ms,
            end_time=now_ms + horizon_ms,
            unique_id=task_id,
        )
    ).outcome
    if not isinstance(outcome, errors.Accepted):
        return False
    data: dict[str, Any] = (outcome.body.get("ResultContent") or {}).get("Data") or {}
    return not any(str(task.get("UniqueId")) == task_id for task in data.get("List") or [])
