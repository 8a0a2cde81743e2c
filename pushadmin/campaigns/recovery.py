"""Row builds a dead worker or a lost task left behind, re-driven by the delivery sweeper.

- A build whose lease ran out was running on a worker that died: it is handed to a new
  task, which starts again from the first row, up to MAX_BUILD_TRIES runs in all; after that
  it fails with a reason the builder shows (audited), and its partial rows are removed.
- A build still waiting a while after its task was sent never started (the task was lost):
  its task is sent again. The claim makes a second copy of the task harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns import rows
from pushadmin.campaigns.models import Campaign, RowsState
from pushadmin.redrive import redrive

logger = logging.getLogger(__name__)

MAX_BUILD_TRIES = 3
# A waiting build's task is sent again when no worker started it within this time.
QUEUED_GRACE = timedelta(minutes=2)
GAVE_UP = (
    "it was interrupted {tries} times: the worker creating the rows stopped each time (killed, out of memory or "
    "restarted). Try again; if it stops again, ask an administrator to check the workers."
)


def redrive_builds(now: datetime | None = None) -> list[str]:
    """One sweeper pass over row builds; returns what it did, one line per campaign."""
    now = now or timezone.now()
    building = Campaign.objects.filter(rows_state=RowsState.BUILDING)
    expired = building.exclude(rows_claim_token="").filter(rows_lease_until__lt=now)
    waiting = building.filter(rows_claim_token="").filter(
        Q(rows_queued_at__lt=now - QUEUED_GRACE) | Q(rows_queued_at__isnull=True)
    )
    return redrive(
        "row build of campaign",
        expired.select_related("workspace"),
        lambda campaign: _take_back(campaign, now),
        waiting.values_list("pk", "rows_queued_at"),
        lambda campaign_id, queued_at: _send_again(campaign_id, queued_at, now),
    )


def _send_again(campaign_id: int, queued_at: datetime | None, now: datetime) -> str:
    still_waiting = Campaign.objects.filter(pk=campaign_id, rows_state=RowsState.BUILDING, rows_claim_token="")
    if not still_waiting.filter(rows_queued_at=queued_at).update(rows_queued_at=now):
        return ""
    transaction.on_commit(lambda: rows.enqueue_build(campaign_id))
    return f"build of campaign {campaign_id}: not started, task sent again"


def _take_back(campaign: Campaign, now: datetime) -> str:
    """Hand a build whose worker stopped to a new task, or end it as failed after its last try."""
    if campaign.rows_tries >= MAX_BUILD_TRIES:
        reason = GAVE_UP.format(tries=campaign.rows_tries)
        try:
            rows.fail_build(campaign.pk, campaign.rows_claim_token, reason, lease_ran_out_before=now)
        except rows.BuildClaimLost:
            return ""  # replaced or taken back meanwhile
        return f"build of campaign {campaign.pk}: failed after {campaign.rows_tries} interrupted tries"
    with transaction.atomic():
        trail.record(  # the chain's lock before the campaign's row lock
            "campaign.rows_interrupted",
            workspace=campaign.workspace,
            obj=campaign,
            detail={"try": campaign.rows_tries, "tries_allowed": MAX_BUILD_TRIES, "rows_written": campaign.rows_built},
        )
        handed_back = Campaign.objects.filter(
            pk=campaign.pk,
            rows_state=RowsState.BUILDING,
            rows_claim_token=campaign.rows_claim_token,
            rows_lease_until__lt=now,
        ).update(rows_claim_token="", rows_lease_until=None, rows_queued_at=now)
        if not handed_back:
            transaction.set_rollback(True)
            return ""
    transaction.on_commit(lambda: rows.enqueue_build(campaign.pk))
    return f"build of campaign {campaign.pk}: worker stopped during try {campaign.rows_tries}, queued again"
