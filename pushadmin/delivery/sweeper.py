"""The beat-driven sweeper: re-drives from the database whatever a lost task or a dead worker left.

The broker is not trusted to redeliver (a killed pool child's task is acked, the filesystem
broker never redelivers, a restarted Redis may lose queued tasks), so every
`PUSHADMIN_SWEEP_SECONDS`:

- a batch whose lease expired was claimed by a worker that died, possibly mid-call: its
  outcome is unknown, so the workspace's ambiguous policy decides (mark unknown, or send
  again with the same MsgKeys);
- a sending campaign that made no progress for `PUSHADMIN_SEND_STALL_SECONDS` gets its due
  pending batches enqueued again (the conditional claim makes a duplicate task harmless);
- an approved campaign whose dispatch was lost (the approving process died after the
  commit) is dispatched again;
- batches a retry or an expired lease put back to pending after their campaign was
  cancelled are cancelled with their messages, so every message still ends in one state;
- scheduled tasks a cancelled campaign left on mPaaS (a worker killed between recording a
  late registration and cancelling it) are cancelled there (see `leftovers.py`);
- campaigns held locally start when due, and campaigns with nothing left open are finished.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from pushadmin.audiences import recovery as import_recovery
from pushadmin.audit import trail
from pushadmin.campaigns import recovery as build_recovery
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import (
    batch_state,
    controls,
    dispatch,
    finishing,
    leftovers,
    membership,
    queueing,
    rounds,
    verdicts,
)
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, BatchStatus, MessageStatus
from pushadmin.operations import metrics
from pushadmin.workspaces.models import AmbiguousPolicy

logger = logging.getLogger(__name__)

WORKER_LOST = verdicts.WORKER_LOST
WORKER_LOST_MEANING = "The worker sending this batch stopped before it recorded the outcome; it may have been applied."


@dataclass
class SweepReport:
    expired_unknown: list[int] = field(default_factory=list)
    expired_resent: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    recut: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    redispatched: list[int] = field(default_factory=list)
    cancelled_batches: list[int] = field(default_factory=list)
    cancelled_campaigns: list[int] = field(default_factory=list)
    recovered_jobs: list[str] = field(default_factory=list)  # audience imports and row builds re-driven
    leftover_tasks_cancelled: list[int] = field(default_factory=list)  # campaigns whose tasks mPaaS kept


def sweep(now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    _expired_claims(now, report)
    _expired_leases(now, report)
    metrics.record_expired_leases("claim_released", len(report.released))
    metrics.record_expired_leases("marked_unknown", len(report.expired_unknown))
    metrics.record_expired_leases("sent_again", len(report.expired_resent))
    _stalled_campaigns(now, report)
    _approved_but_not_dispatched(now, report)
    _pending_in_cancelled_campaigns(now, report)
    _unsent_in_cancelled_campaigns(report)
    report.leftover_tasks_cancelled = leftovers.cancel_leftover_tasks(now)
    report.recovered_jobs += import_recovery.redrive_imports(now)
    report.recovered_jobs += build_recovery.redrive_builds(now)
    report.started = dispatch.start_due_campaigns(now)
    finishing.finish_fired_campaigns(now)
    for campaign_id in Campaign.objects.filter(status=CampaignStatus.SENDING).values_list("pk", flat=True):
        if finishing.finish_if_done(campaign_id) is not None:
            report.finished.append(campaign_id)
    if any(
        (
            report.expired_unknown,
            report.expired_resent,
            report.released,
            report.requeued,
            report.started,
            report.redispatched,
            report.leftover_tasks_cancelled,
        )
    ):
        logger.info("sweep: %s", report)
    return report


def _expired_claims(now: datetime, report: SweepReport) -> None:
    """Batches a dead worker had claimed but not yet called: nothing was sent, so they simply go back."""
    expired = Batch.objects.filter(status=BatchStatus.CLAIMED, lease_until__lt=now)
    rows = list(expired.order_by("campaign_id", "send_round", "seq").values_list("campaign_id", "pk"))
    if not rows:
        return
    ids = [pk for _, pk in rows]
    batch_state.release_expired_claims(ids, now)
    report.released.extend(ids)
    # Campaign by campaign, so a task's group never mixes campaigns.
    for campaign_id in dict.fromkeys(campaign_id for campaign_id, _ in rows):
        queueing.enqueue([pk for owner, pk in rows if owner == campaign_id])


def _expired_leases(now: datetime, report: SweepReport) -> None:
    expired = Batch.objects.filter(status=BatchStatus.IN_FLIGHT, lease_until__lt=now).select_related(
        "campaign__workspace"
    )
    for batch in expired:
        # A cancelled campaign sends nothing more: its calls in doubt stay in doubt (unknown).
        resend = batch.campaign.workspace.ambiguous_policy == AmbiguousPolicy.RESEND and batch.campaign.status in (
            CampaignStatus.SENDING,
            CampaignStatus.PAUSED,
        )
        unknown = 0
        with transaction.atomic():
            if resend:
                if not batch_state.requeue_expired(batch, now):
                    continue
                report.expired_resent.append(batch.pk)
                transaction.on_commit(partial(queueing.enqueue, [batch.pk]))
            else:
                open_rows = membership.rows_of(batch).filter(status__in=membership.OPEN_ROWS)
                # The audit chain's lock before any row lock (see sending._record).
                trail.record(
                    "delivery.batch_sent",
                    workspace=batch.campaign.workspace,
                    obj=batch.campaign,
                    detail={
                        "batch": batch.seq,
                        "round": batch.send_round,
                        "outcome": "unknown",
                        "messages": open_rows.count(),
                        "code": WORKER_LOST,
                    },
                )
                if not batch_state.close_expired(batch, now):
                    transaction.set_rollback(True)
                    continue
                report.expired_unknown.append(batch.pk)
                unknown = open_rows.update(
                    batch=batch,
                    status=MessageStatus.UNKNOWN,
                    result_code=WORKER_LOST,
                    result_message=WORKER_LOST_MEANING,
                    updated_at=now,
                )
                transaction.on_commit(partial(metrics.record_messages, MessageStatus.UNKNOWN, unknown))
                transaction.on_commit(partial(metrics.record_unknown, "worker_lost", unknown))
            assert batch.lease_until is not None  # chosen for a lease_until before now
            Attempt.objects.create(
                batch=batch,
                campaign=batch.campaign,
                started_at=batch.lease_until - timedelta(seconds=settings.PUSHADMIN_SEND_LEASE_SECONDS),
                outcome=AttemptResult.AMBIGUOUS,
                code=WORKER_LOST,
                message=WORKER_LOST_MEANING,
                settled=unknown,
            )


def _stalled_campaigns(now: datetime, report: SweepReport) -> None:
    quiet_since = now - timedelta(seconds=settings.PUSHADMIN_SEND_STALL_SECONDS)
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING).only("pk", "send_round"):
        campaign_id = campaign.pk
        batches = Batch.objects.filter(campaign_id=campaign_id)
        if batches.filter(updated_at__gte=quiet_since).exists():
            continue  # making progress, or just started
        due = batches.filter(status=BatchStatus.PENDING, queued_at__lt=quiet_since).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        ids = list(due.order_by("send_round", "seq").values_list("pk", flat=True))
        if membership.first_uncut_seq(campaign_id) is not None:
            # Its cut_batches task was lost with the broker, or its worker died while cutting.
            report.recut.append(campaign_id)
            queueing.enqueue_cutting(campaign_id)
        elif rounds.rejected_before_this_round(campaign).exists():
            # The same for the cutting of a resend round.
            report.recut.append(campaign_id)
            queueing.enqueue_resend_cutting(campaign_id)
        if not ids:
            continue
        Batch.objects.filter(pk__in=ids).update(queued_at=now)
        report.requeued.extend(ids)
        queueing.enqueue(ids)


def _approved_but_not_dispatched(now: datetime, report: SweepReport) -> None:
    # on_approved runs on commit in the approving web process and hands fixed-time and loop
    # campaigns to the schedule_campaign task; if that process died, or the task was lost
    # with the broker or is stuck behind a long queue, nothing else would ever start the
    # campaign. So it is dispatched here, in this worker (a scheduled one is registered or
    # held right here too). Starting and scheduling are conditional transitions, so a
    # campaign that the task dispatches meanwhile is dispatched only once.
    settled_before = now - timedelta(seconds=3 * settings.PUSHADMIN_SWEEP_SECONDS)
    waiting = Campaign.objects.filter(status=CampaignStatus.APPROVED, approved_at__lt=settled_before)
    for campaign_id in waiting.values_list("pk", flat=True):
        report.redispatched.append(campaign_id)
        dispatch.dispatch_lost(campaign_id)


def _unsent_in_cancelled_campaigns(report: SweepReport) -> None:
    """A cancel whose process died before it had cancelled every unsent row is finished here."""
    unsent = controls.unsent_messages().filter(campaign=OuterRef("pk"))
    leftover = Campaign.objects.filter(status=CampaignStatus.CANCELLED).filter(Exists(unsent))
    for campaign_id in leftover.values_list("pk", flat=True):
        if controls.cancel_unsent_messages(campaign_id):
            report.cancelled_campaigns.append(campaign_id)


def _pending_in_cancelled_campaigns(now: datetime, report: SweepReport) -> None:
    leftover = Batch.objects.filter(campaign__status=CampaignStatus.CANCELLED, status=BatchStatus.PENDING)
    report.cancelled_batches.extend(batch_state.cancel_pending(leftover.values_list("pk", flat=True)))
