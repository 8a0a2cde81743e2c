"""What happens when a campaign is finally approved: send now, or hold it until its time.

The review app calls `on_approved(campaign_id)` through `transaction.on_commit` after the
last required approval. An immediate campaign is cut into batches and its batch tasks are
enqueued right here, in the approving process, so the first batch leaves within a second.
A fixed-time or loop campaign is handed to the `schedule_campaign` task, which asks mPaaS
how many scheduled tasks it holds (a network call that has no place in the approving web
request) and then registers the campaign on mPaaS or holds it in the database for the
beat-driven scheduler (`scheduling.scheduling_plan` says which, and why, for the builder to
show); the sweeper starts a held campaign when it is due (`start_due_campaigns`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import IMMEDIATE
from pushadmin.delivery import cutting, finishing, queueing, scheduling

logger = logging.getLogger(__name__)

# Rows cut into batches when a campaign starts; the rest follows in slices (see start_campaign).
FIRST_CUT_ROWS = 2000


def on_approved(campaign_id: int) -> None:
    """Start an approved immediate campaign at once; enqueue the scheduling of a fixed-time or loop one."""
    _dispatch(
        campaign_id,
        schedule=lambda campaign_id: transaction.on_commit(lambda: queueing.enqueue_scheduling(campaign_id)),
    )


def dispatch_lost(campaign_id: int) -> None:
    """An approved campaign nobody started (its dispatch or its task was lost): do it here, in a worker."""
    _dispatch(campaign_id, schedule=schedule_campaign)


def _dispatch(campaign_id: int, *, schedule: Callable[[int], None]) -> None:
    campaign = _still_approved(campaign_id)
    if campaign is None:
        return
    if scheduling.strategy_kind(campaign) == IMMEDIATE:
        start_campaign(campaign.pk)
    else:
        schedule(campaign.pk)


def _still_approved(campaign_id: int) -> Campaign | None:
    campaign = Campaign.objects.select_related("workspace", "template").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.APPROVED:
        # Someone cancelled or edited it between the approval and this hook: nothing to send.
        logger.info("campaign %s is not approved any more; not dispatching", campaign_id)
        return None
    return campaign


def start_campaign(campaign_id: int, *, actor: Any = None) -> Campaign | None:
    """Approved or due scheduled campaign → sending.

    The first rows are cut into batches and enqueued in the transaction that starts the
    campaign, so the first call leaves at once however big the audience; the rest is cut
    by the `cut_batches` task, a slice per transaction, while the first batches are sent.
    """
    campaign = Campaign.objects.select_related("workspace", "template").get(pk=campaign_id)
    with transaction.atomic():
        try:
            campaign = transition(
                campaign,
                CampaignStatus.SENDING,
                action="campaign.sending_started",
                actor=actor,
                expected=[CampaignStatus.APPROVED, CampaignStatus.SCHEDULED],
                changes={"started_at": timezone.now(), "pause_reason": ""},
            )
        except TransitionRefused:
            logger.info("campaign %s was not startable any more", campaign_id)
            return None
        skipped = cutting.skip_unsendable_rows(campaign)
        if skipped:
            trail.record(
                "delivery.rows_skipped",
                workspace=campaign.workspace,
                obj=campaign,
                detail={"skipped": skipped, "reason": "missing placeholder values or too long (skip policy)"},
            )
        batch_ids, more = cutting.cut_next_rows(campaign, FIRST_CUT_ROWS)
        if not batch_ids and not more:
            transaction.on_commit(lambda: finishing.finish_if_done(campaign.pk))
    if more:
        # Ahead of the first batches, so cutting the rest runs while they are being sent
        # instead of waiting behind them in the queue.
        transaction.on_commit(lambda: queueing.enqueue_cutting(campaign.pk))
    transaction.on_commit(lambda: queueing.enqueue(batch_ids))
    return campaign


def schedule_campaign(campaign_id: int) -> None:
    """An approved fixed-time or loop campaign: register it on mPaaS or hold it here (the `schedule_campaign` task)."""
    campaign = Campaign.objects.select_related("workspace", "template").get(pk=campaign_id)
    if campaign.status != CampaignStatus.APPROVED:
        # Already scheduled or started by an earlier delivery of this task, or cancelled meanwhile.
        logger.info("campaign %s is %s, not approved; nothing to schedule", campaign_id, campaign.status)
        return
    try:
        unexecuted = scheduling.count_unexecuted_on_mpaas(campaign)
    except Exception:  # an unreachable endpoint must not lose the approval
        logger.exception("could not count scheduled tasks on mPaaS; using pushadmin's own count")
        unexecuted = None
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=unexecuted)
    if mode == scheduling.ON_MPAAS:
        # The calls carry StrategyType 1/2 and their schedule; mPaaS fires them at the time.
        start_campaign(campaign.pk)
        return
    if mode in (scheduling.REFUSED, scheduling.WAITING_FOR_ROOM):
        # Pre-flight refuses a loop that can never fit; one that cannot fit yet stays approved, with
        # the reason shown, and the sweeper's re-dispatch of approved campaigns tries again.
        _wait_for_room(campaign, reason)
        return
    with contextlib.suppress(TransitionRefused):
        transition(
            campaign,
            CampaignStatus.SCHEDULED,
            action="campaign.scheduled",
            expected=[CampaignStatus.APPROVED],
            detail={"mode": mode, "reason": reason, "due": str(scheduling.fire_time(campaign))},
        )


def _wait_for_room(campaign: Campaign, reason: str) -> None:
    if campaign.pause_reason == reason[:300]:
        return  # said already; the audit trail needs it once, not at every sweep
    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)  # before the row lock (see trail.lock_chain)
        updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.APPROVED).update(
            pause_reason=reason[:300]
        )
        if updated:
            trail.record(
                "campaign.schedule_waiting", workspace=campaign.workspace, obj=campaign, detail={"reason": reason}
            )


def start_due_campaigns(now: datetime | None = None) -> list[int]:
    """Campaigns held here whose time has come start sending (called by the sweeper)."""
    now = now or timezone.now()
    started = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, started_at__isnull=True):
        due = scheduling.fire_time(campaign)
        if due is not None and due > now:
            continue
        if due is not None and now - due > timedelta(days=1):
            logger.warning("campaign %s was due at %s; sending late", campaign.pk, due)
        if start_campaign(campaign.pk) is not None:
            started.append(campaign.pk)
    return started
