"""What happens when a campaign is finally approved: send now, or hold it until its time.

The review app calls `on_approved(campaign_id)` through `transaction.on_commit` after the
last required approval. An immediate campaign is cut into batches and its batch tasks are
enqueued right here, in the approving process, so the first batch leaves within a second.
A fixed-time or loop campaign is handed to the `schedule_campaign` task, which asks mPaaS
how many scheduled tasks it holds (a network call that has no place in the approving web
request) and then registers the campaign on mPaaS or holds it in the database for the
beat-driven scheduler (`scheduling_plan` says which, and why, for the builder to show).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import IMMEDIATE
from pushadmin.delivery import scheduling, sending

logger = logging.getLogger(__name__)


def on_approved(campaign_id: int) -> None:
    """Start an approved immediate campaign at once; enqueue the scheduling of a fixed-time or loop one."""
    _dispatch(campaign_id, schedule=lambda campaign_id: transaction.on_commit(lambda: enqueue_scheduling(campaign_id)))


def dispatch_lost(campaign_id: int) -> None:
    """An approved campaign nobody started (its dispatch or its task was lost): do it here, in a worker."""
    _dispatch(campaign_id, schedule=scheduling.schedule_campaign)


def _dispatch(campaign_id: int, *, schedule: Callable[[int], None]) -> None:
    campaign = _still_approved(campaign_id)
    if campaign is None:
        return
    if scheduling.strategy_kind(campaign) == IMMEDIATE:
        sending.start_campaign(campaign.pk)
    else:
        schedule(campaign.pk)


def enqueue_scheduling(campaign_id: int) -> None:
    from pushadmin.delivery.tasks import schedule_campaign

    schedule_campaign.apply_async((campaign_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def _still_approved(campaign_id: int) -> Campaign | None:
    campaign = Campaign.objects.select_related("workspace", "template").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.APPROVED:
        # Someone cancelled or edited it between the approval and this hook: nothing to send.
        logger.info("campaign %s is not approved any more; not dispatching", campaign_id)
        return None
    return campaign
