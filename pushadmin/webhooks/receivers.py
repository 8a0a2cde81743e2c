"""Campaign lifecycle steps as webhook events, heard from the `campaign_moved` signal.

The signal is sent inside each transition's transaction, so the deliveries commit (or not)
with the step itself, from every place that moves a campaign: pages, API, workers.
"""

from __future__ import annotations

from typing import Any

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.signals import campaign_moved
from pushadmin.delivery import finishing
from pushadmin.webhooks.events import emit_to, listeners

S = CampaignStatus
BY_ACTION = {
    "campaign.submitted": "campaign.submitted",
    "campaign.approved": "campaign.approved",
    "campaign.rejected": "campaign.rejected",
}
BY_STATE: dict[str, str] = {
    S.SENDING: "campaign.sending",
    S.PAUSED: "campaign.paused",
    S.SENT: "campaign.finished",
    S.PARTLY_SENT: "campaign.finished",
    S.FAILED: "campaign.finished",
    S.CANCELLED: "campaign.cancelled",
}


def campaign_data(campaign: Campaign) -> dict[str, Any]:
    """What every campaign event says, from the campaign read afresh inside the transition's transaction."""
    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "status": campaign.status,
            "revision": campaign.revision,
            "fingerprint": campaign.fingerprint,
            "updated_at": campaign.updated_at.isoformat(),
        }
    }


def _on_campaign_moved(
    sender: Any, campaign: Campaign, action: str, to: str, actor: Any, detail: Any, **_: Any
) -> None:
    event = BY_ACTION.get(action) or BY_STATE.get(to)
    if event is None:
        return
    endpoints = listeners(campaign.workspace_id, event)
    if not endpoints:
        return  # most workspaces have no endpoints: a transition then costs one small query
    fresh = Campaign.objects.get(pk=campaign.pk)
    data = campaign_data(fresh)
    data["action"] = action
    data["actor"] = actor.get_username() if hasattr(actor, "get_username") else "pushadmin"
    if event == "campaign.paused":
        data["reason"] = str((detail or {}).get("reason") or "") or fresh.pause_reason
    if event == "campaign.rejected":
        data["reason"] = str((detail or {}).get("reason") or "")
    if event == "campaign.finished":
        data["counts"] = finishing.message_counts(campaign.pk)
    emit_to(endpoints, event, data)


campaign_moved.connect(_on_campaign_moved, dispatch_uid="webhooks-campaign-moved")
