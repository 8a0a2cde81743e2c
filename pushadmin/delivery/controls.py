"""What marketers and admins do to a sending campaign: pause, resume, cancel, resend failed only.

Each is a lifecycle transition (a conditional update plus its audit entry) and, in the same
transaction, the batch and message changes it implies; any batch tasks it needs are
enqueued on commit. Work already in flight is never interrupted: it is recorded normally.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import scheduling, sending
from pushadmin.delivery.models import Batch, BatchStatus, Message, MessageStatus


def pause(campaign: Campaign, *, request: Any) -> Campaign:
    """Stop claiming new batches; batches already in flight finish and are recorded."""
    name = request.user.get_username()
    return transition(
        campaign,
        CampaignStatus.PAUSED,
        action="campaign.paused",
        request=request,
        expected=[CampaignStatus.SENDING],
        changes={"pause_reason": f"Paused by {name}."},
    )


def resume(campaign: Campaign, *, request: Any) -> Campaign:
    """Carry on from the durable per-batch state: only batches still pending are sent."""
    with transaction.atomic():
        campaign = transition(
            campaign,
            CampaignStatus.SENDING,
            action="campaign.resumed",
            request=request,
            expected=[CampaignStatus.PAUSED],
            changes={"pause_reason": ""},
        )
        pending = Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING)
        pending.update(next_attempt_at=None, queued_at=timezone.now())
        batch_ids = list(pending.order_by("send_round", "seq").values_list("pk", flat=True))
        if not batch_ids:
            transaction.on_commit(lambda: sending.finish_if_done(campaign.pk))
    transaction.on_commit(lambda: sending.enqueue(batch_ids))
    return campaign


def cancel(campaign: Campaign, *, request: Any) -> Campaign:
    """Stop for good: unsent messages become cancelled; batches already in flight still record."""
    with transaction.atomic():
        counts_before = sending.message_counts(campaign.pk)
        campaign = transition(
            campaign,
            CampaignStatus.CANCELLED,
            action="campaign.cancelled",
            request=request,
            expected=[
                CampaignStatus.APPROVED,
                CampaignStatus.SCHEDULED,
                CampaignStatus.SENDING,
                CampaignStatus.PAUSED,
            ],
            detail={"unsent": counts_before.get(MessageStatus.PENDING, 0) + counts_before.get(MessageStatus.DRAFT, 0)},
        )
        Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING).update(status=BatchStatus.CANCELLED)
        Message.objects.filter(campaign=campaign, status__in=[MessageStatus.DRAFT, MessageStatus.PENDING]).exclude(
            batch__status=BatchStatus.IN_FLIGHT
        ).update(status=MessageStatus.CANCELLED, result_message="Cancelled before it was sent.")
    scheduling.cancel_on_mpaas(campaign)
    return campaign


def resendable(campaign: Campaign) -> int:
    return Message.objects.filter(campaign=campaign, status=MessageStatus.REJECTED).count()


def resend_failed(campaign: Campaign, *, request: Any) -> Campaign:
    """A new round for rejected messages only, each with a new MsgKey; accepted and unknown ones stay."""
    with transaction.atomic():
        new_round = campaign.send_round + 1
        campaign = transition(
            campaign,
            CampaignStatus.SENDING,
            action="campaign.resend_failed",
            request=request,
            expected=[CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED],
            changes={"send_round": new_round, "finished_at": None, "pause_reason": ""},
        )
        rows = list(
            Message.objects.filter(campaign=campaign, status=MessageStatus.REJECTED).order_by("seq").only("pk", "seq")
        )
        for row in rows:
            row.msg_key = campaign.msg_key_for(row.seq, new_round)
            row.send_round = new_round
            row.status = MessageStatus.PENDING
            row.request_id = row.task_id = row.result_code = row.result_message = ""
        Message.objects.bulk_update(
            rows,
            ["msg_key", "send_round", "status", "request_id", "task_id", "result_code", "result_message"],
            batch_size=500,
        )
        batch_ids = sending.cut_rows(campaign, [row.pk for row in rows])
        trail.record(
            "delivery.resend_round",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"round": new_round, "messages": len(rows)},
        )
        if not batch_ids:
            transaction.on_commit(lambda: sending.finish_if_done(campaign.pk))
    transaction.on_commit(lambda: sending.enqueue(batch_ids))
    return campaign
