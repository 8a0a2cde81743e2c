"""The figures sync: which campaigns to read when, claiming each read, and keeping what was read.

Run by beat every ``PUSHADMIN_ANALYTICS_SYNC_SECONDS`` as its own task, for at most
``PUSHADMIN_ANALYTICS_RUN_SECONDS``. It never blocks sending: it takes no lock the sender takes
(no batch, message or rate-bucket row is locked; its own rows are claimed with a conditional
UPDATE), it paces its calls to half the workspace's rate, and it stops when its time is up.

Campaigns sent in the last 90 days (mPaaS's own window) are read often while fresh and rarely once
old. A failed read keeps every figure as it was and tries again after a growing delay; the page
says when the figures were last updated and that the latest reads failed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from pushadmin.analytics import sampling, settling
from pushadmin.analytics.models import ALL_CHANNELS, CampaignSync, Snapshot, TaskFigures
from pushadmin.analytics.reading import NoSuchTask, ReadFailed, RunFigures, TaskReader, pacer_for
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import FIXED, LOOP, Strategy
from pushadmin.delivery import clients, scheduling
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas.analysis import MAX_RANGE_DAYS

logger = logging.getLogger(__name__)

# Campaigns with messages mPaaS accepted.
READ_STATES = (
    CampaignStatus.SENDING,
    CampaignStatus.PAUSED,
    CampaignStatus.SCHEDULED,
    CampaignStatus.SENT,
    CampaignStatus.PARTLY_SENT,
    CampaignStatus.FAILED,
)
LEASE_SECONDS = 300


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=MAX_RANGE_DAYS)


def interval_for(campaign: Campaign, now: datetime) -> timedelta | None:
    """How soon to read a campaign again: often in its first two days, hourly to two weeks, then daily."""
    started = campaign.started_at or campaign.created_at
    age = now - started
    if age > timedelta(days=MAX_RANGE_DAYS):
        return None
    if age < timedelta(days=2):
        return timedelta(seconds=settings.PUSHADMIN_ANALYTICS_FRESH_SECONDS)
    if age < timedelta(days=14):
        return timedelta(hours=1)
    return timedelta(days=1)


def backoff(failures: int) -> timedelta:
    base = settings.PUSHADMIN_ANALYTICS_BACKOFF_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(failures - 1, 0), settings.PUSHADMIN_ANALYTICS_BACKOFF_CAP_SECONDS))


def enrol(now: datetime) -> int:
    """Give every campaign sent in the window a sync row, due at once."""
    missing = Campaign.objects.filter(
        status__in=READ_STATES, started_at__gte=window_start(now), analytics_sync__isnull=True
    ).values_list("pk", flat=True)
    rows = [CampaignSync(campaign_id=pk, next_due_at=now) for pk in missing]
    CampaignSync.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def claim_next(now: datetime) -> CampaignSync | None:
    """The most overdue campaign nobody is reading, claimed for this run (one conditional UPDATE)."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    candidates = (
        CampaignSync.objects.filter(free, next_due_at__lte=now, campaign__started_at__gte=window_start(now))
        .order_by("next_due_at")
        .values_list("pk", flat=True)[:10]
    )
    for pk in candidates:
        token = str(uuid.uuid4())
        claimed = CampaignSync.objects.filter(free, pk=pk, next_due_at__lte=now).update(
            lease_until=now + timedelta(seconds=LEASE_SECONDS), claim_token=token, last_attempt_at=now
        )
        if claimed:
            return CampaignSync.objects.select_related("campaign__workspace").get(pk=pk)
    return None


def run(*, now: datetime | None = None, seconds: float | None = None) -> int:
    """One run of the sync; returns how many campaigns it finished reading."""
    now = now or timezone.now()
    deadline = time.monotonic() + (seconds if seconds is not None else settings.PUSHADMIN_ANALYTICS_RUN_SECONDS)
    settling.settle_unknown(now=now, deadline=deadline)
    enrol(now)
    finished = 0
    while time.monotonic() < deadline:
        sync = claim_next(now)
        if sync is None:
            break
        if read_campaign(sync, now=now, deadline=deadline):
            finished += 1
        now = timezone.now()
    sampling.sample_waiting_campaigns(now=now, deadline=deadline)
    return finished


def _task_times(campaign: Campaign) -> dict[str, datetime]:
    """Each task of the campaign (an accepted call) and when it was sent."""
    rows = (
        Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED)
        .exclude(task_id="")
        .values("task_id")
        .annotate(sent=Min("updated_at"))
        .order_by("sent")
    )
    fixed = scheduling.fire_time(campaign) if scheduling.strategy_kind(campaign) == FIXED else None
    return {row["task_id"]: max(row["sent"], fixed) if fixed else row["sent"] for row in rows}


def read_campaign(sync: CampaignSync, *, now: datetime, deadline: float) -> bool:
    """Read every task of the campaign not read in this pass; True once the pass is complete."""
    campaign = sync.campaign
    if sync.pass_started_at is None:
        sync.pass_started_at = now
        CampaignSync.objects.filter(pk=sync.pk, claim_token=sync.claim_token).update(pass_started_at=now)
    done = set(
        TaskFigures.objects.filter(campaign=campaign, read_at__gte=sync.pass_started_at).values_list(
            "task_id", flat=True
        )
    )
    loop = Strategy.from_json(campaign.strategy).type == LOOP
    try:
        client = clients.build_client(campaign.workspace, timeout=float(settings.PUSHADMIN_SEND_HTTP_TIMEOUT))
    except Exception as exc:
        _failed(sync, now, f"The workspace's mPaaS settings cannot be used ({clients.why_not_built(exc)}).")
        return False
    reader = TaskReader(client, campaign.workspace, pacer_for(campaign.workspace), now)
    try:
        for task_id, sent_at in _task_times(campaign).items():
            if task_id in done:
                continue
            if time.monotonic() > deadline:
                _release(sync, next_due_at=timezone.now())  # the rest in the next run
                return False
            try:
                runs = reader.loop_runs(task_id, sent_at) if loop else [(task_id, sent_at)]
                read = [reader.run(task_id, run_id, run_at, campaign.delivery_type) for run_id, run_at in runs]
            except NoSuchTask:
                continue  # not in mPaaS's records (yet): no figures for it in this pass
            _keep(campaign, read, task_id, now=timezone.now())
    except ReadFailed as failure:
        _failed(sync, now, str(failure))
        return False
    finally:
        client.close()
    _complete(sync, now=timezone.now())
    return True


def _keep(campaign: Campaign, runs: Iterable[RunFigures], task_id: str, *, now: datetime) -> None:
    rows: list[TaskFigures] = []
    for run_figures in runs:
        for channel, counts in [(ALL_CHANNELS, run_figures.total), *run_figures.channels.items()]:
            rows.append(
                TaskFigures(
                    campaign=campaign,
                    task_id=task_id,
                    run_task_id=run_figures.run_task_id,
                    run_at=run_figures.run_at,
                    channel=channel,
                    read_at=now,
                    **counts.as_dict(),
                )
            )
    if not rows:
        # A loop with no run yet: a row marks the task as read in this pass.
        rows.append(TaskFigures(campaign=campaign, task_id=task_id, run_task_id=task_id, run_at=now, read_at=now))
    fields = ["task_id", "run_at", "push_total", "pushed", "arrived", "opened", "ignored", "read_at"]
    with transaction.atomic():
        TaskFigures.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["campaign", "run_task_id", "channel"],
            update_fields=fields,
        )


FIGURES = ("push_total", "pushed", "arrived", "opened", "ignored")


def sums(campaign: Campaign) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """The campaign's figures now: in all and per channel, summed over its tasks' latest reads."""
    total = dict.fromkeys(FIGURES, 0)
    channels: dict[str, dict[str, int]] = {}
    for row in TaskFigures.objects.filter(campaign=campaign).values("channel", *FIGURES):
        bucket = (
            total if row["channel"] == ALL_CHANNELS else channels.setdefault(row["channel"], dict.fromkeys(FIGURES, 0))
        )
        for name in FIGURES:
            bucket[name] += row[name]
    return total, dict(sorted(channels.items()))


def _complete(sync: CampaignSync, *, now: datetime) -> None:
    campaign = sync.campaign
    total, channels = sums(campaign)
    interval = interval_for(campaign, now)
    with transaction.atomic():
        Snapshot.objects.create(campaign=campaign, taken_at=now, channels=channels, **total)
        CampaignSync.objects.filter(pk=sync.pk, claim_token=sync.claim_token).update(
            last_read_at=now,
            failures=0,
            last_error="",
            pass_started_at=None,
            next_due_at=None if interval is None else now + interval,
            lease_until=None,
            claim_token="",
        )


def _failed(sync: CampaignSync, now: datetime, why: str) -> None:
    failures = sync.failures + 1
    logger.info("figures of campaign %s not read (%s failures): %s", sync.pk, failures, why)
    CampaignSync.objects.filter(pk=sync.pk, claim_token=sync.claim_token).update(
        failures=failures,
        last_error=why[:300],
        next_due_at=now + backoff(failures),
        lease_until=None,
        claim_token="",
    )


def _release(sync: CampaignSync, *, next_due_at: datetime) -> None:
    CampaignSync.objects.filter(pk=sync.pk, claim_token=sync.claim_token).update(
        next_due_at=next_due_at, lease_until=None, claim_token=""
    )


def read_now(campaign: Campaign) -> None:
    """Make a campaign due at once (after a person asks for fresh figures)."""
    CampaignSync.objects.update_or_create(campaign=campaign, defaults={"next_due_at": timezone.now()})
