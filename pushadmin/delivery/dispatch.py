"""What happens when a campaign is finally approved: send now, or hold it until its time.

The review app calls `on_approved(campaign_id)` through `transaction.on_commit` after the
last required approval. An immediate campaign is cut into batches and its batch tasks are
enqueued right here, in the approving process, so the first batch leaves within a second;
a fixed-time or loop campaign is either registered on mPaaS or held in the database for
the beat-driven scheduler (`scheduling_plan` says which, and why, for the builder to show).
"""

from __future__ import annotations

import logging

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import scheduling, sending

logger = logging.getLogger(__name__)


def on_approved(campaign_id: int) -> None:
    """Start an approved immediate campaign at once; schedule a fixed-time or loop one."""
    campaign = Campaign.objects.select_related("workspace", "template").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.APPROVED:
        # Someone cancelled or edited it between the approval and this hook: nothing to send.
        logger.info("campaign %s is not approved any more; not dispatching", campaign_id)
        return
    mode, _reason = scheduling.scheduling_plan(campaign)
    if mode == scheduling.IMMEDIATE:
        sending.start_campaign(campaign.pk)
    else:
        scheduling.schedule_campaign(campaign.pk)
