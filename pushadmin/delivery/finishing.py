"""How a campaign ends: sent, partly sent or failed, once nothing of it is open any more.

A campaign sending now ends when its last batch is done (`finish_if_done`); one whose tasks
wait on mPaaS ends when their last fire time has passed (`finish_fired_campaigns`); an ended
campaign whose unknown messages got their answer late takes the status they now say
(`correct_ended`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import batch_state, membership, rounds, scheduling
from pushadmin.delivery.models import Batch, Message, MessageStatus

logger = logging.getLogger(__name__)

LATE_ANSWER = "mPaaS's answer to a call whose lease had expired came in after the campaign ended"


def finish_if_done(campaign_id: int) -> Campaign | None:
    """When no batch of a sending campaign is open any more, it becomes sent, partly sent or failed.

    Rows still to cut are looked for before open batches: a cut turns rows into open batches
    in one transaction, so seeing neither in this order means there is nothing left to send.
    (An open batch seen first only ends the look early: "not yet" is always safe to answer.)
    """
    open_batches = Batch.objects.filter(campaign_id=campaign_id, status__in=batch_state.OPEN_BATCH)
    if open_batches.exists():
        return None
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return None
    if membership.first_uncut_seq(campaign_id) is not None:
        return None  # not all cut into batches yet
    if campaign.send_round > 1 and rounds.rejected_before_this_round(campaign).exists():
        return None  # a resend round not all cut into batches yet
    if open_batches.exists():
        return None
    counts = message_counts(campaign_id)
    to = scheduling.status_once_all_sent(campaign, outcome_status(counts))
    try:
        return transition(
            campaign,
            to,
            action=f"campaign.{to}",
            expected=[CampaignStatus.SENDING],
            detail={"counts": {str(k): v for k, v in counts.items()}},
        )
    except TransitionRefused:
        return None


def correct_ended(campaign_id: int, reason: str = LATE_ANSWER) -> Campaign | None:
    """An ended campaign whose unknown messages got their answer late takes the status its messages now say."""
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status not in (CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED):
        return None
    counts = message_counts(campaign_id)
    to = outcome_status(counts)
    if to == campaign.status:
        return None
    try:
        return transition(
            campaign,
            to,
            action="campaign.outcome_corrected",
            expected=[campaign.status],
            detail={
                "counts": {str(k): v for k, v in counts.items()},
                "reason": reason,
            },
        )
    except TransitionRefused:
        return None


def finish_fired_campaigns(now: datetime | None = None) -> list[int]:
    """Campaigns registered on mPaaS whose last fire time has passed end with their outcome (sweeper pass)."""
    now = now or timezone.now()
    finished = []
    for campaign in scheduling.registered_campaigns().select_related("workspace"):
        last = scheduling.last_fire_time(campaign)
        if last is not None and last > now:
            continue
        counts = message_counts(campaign.pk)
        to = outcome_status(counts)
        try:
            transition(
                campaign,
                to,
                action=f"campaign.{to}",
                expected=[CampaignStatus.SCHEDULED],
                detail={"counts": {str(k): v for k, v in counts.items()}, "fired_on_mpaas_by": str(last)},
            )
        except TransitionRefused:
            continue  # cancelled meanwhile
        finished.append(campaign.pk)
    if finished:
        logger.info("campaigns %s have fired on mPaaS", finished)
    return finished


def outcome_status(counts: Mapping[str, int]) -> str:
    """Sent, partly sent or failed, from a campaign's message counts."""
    sent = counts.get(MessageStatus.ACCEPTED, 0)
    failed = sum(counts.get(s, 0) for s in (MessageStatus.REJECTED, MessageStatus.UNKNOWN))
    if not failed:
        return CampaignStatus.SENT
    return CampaignStatus.PARTLY_SENT if sent else CampaignStatus.FAILED


def message_counts(campaign_id: int) -> dict[str, int]:
    rows = Message.objects.filter(campaign_id=campaign_id).values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}
