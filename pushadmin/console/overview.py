"""What a person sees first in a workspace: what waits for them, and what happened lately."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from pushadmin.accounts.models import Role
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.workspaces.models import Workspace

ATTENTION: dict[str, list[CampaignStatus]] = {
    Role.MARKETER: [CampaignStatus.DRAFT, CampaignStatus.PAUSED, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED],
    Role.REVIEWER: [CampaignStatus.IN_REVIEW],
    Role.AUDITOR: [],
    Role.ADMIN: [CampaignStatus.PAUSED, CampaignStatus.FAILED],
}
RECENT_COUNT = 8


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    needs_you: bool


def overview(workspace: Workspace, roles: set[str]) -> dict[str, Any]:
    counts = dict(Campaign.objects.filter(workspace=workspace).values_list("status").annotate(n=Count("id")).order_by())
    wanted = {status for role in roles for status in ATTENTION.get(role, [])}
    statuses = [
        StatusCount(status.value, str(status.label), counts.get(status.value, 0), status in wanted)
        for status in CampaignStatus
        if counts.get(status.value)
    ]
    recent = Campaign.objects.filter(workspace=workspace).select_related("created_by").order_by("-updated_at")
    return {
        "status_counts": statuses,
        "waiting_for_you": sum(item.count for item in statuses if item.needs_you),
        "recent_campaigns": list(recent[:RECENT_COUNT]),
        "campaign_total": sum(counts.values()),
    }
