"""What the safety nets contribute to a campaign's evidence pack and to its approval fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pushadmin.campaigns.models import Campaign
from pushadmin.safety import quiet
from pushadmin.safety.models import CampaignSafety, RecallTask

RECALL_HEADER = (
    "recall",
    "requested_by",
    "reason",
    "requested_at",
    "finished_at",
    "task_id",
    "messages",
    "result",
    "code",
    "detail",
    "request_id",
)


def bound_to_approval(campaign: Campaign) -> dict[str, Any]:
    """The flags that change what is sent, for the fingerprint: only when set, so the fingerprints
    of campaigns without them stay what they were before these flags existed."""
    return {"service_notice": True} if quiet.is_service_notice(campaign.pk) else {}


def facts(campaign: Campaign) -> dict[str, Any]:
    safety = CampaignSafety.objects.filter(campaign_id=campaign.pk).select_related("cap_exception_by").first()
    return {
        "service_notice": bool(safety and safety.service_notice),
        "cap_exception": safety.cap_exception if safety and safety.cap_exception_at else "",
        "cap_exception_by": safety.cap_exception_by.get_username()
        if safety and safety.cap_exception_by and safety.cap_exception_at
        else "",
        "cap_exception_at": safety.cap_exception_at if safety else None,
        "quiet_hours": quiet.window_text(campaign.workspace),
        "frequency_cap": _cap(campaign),
    }


def _cap(campaign: Campaign) -> str:
    workspace = campaign.workspace
    if not workspace.cap_messages:
        return ""
    return f"{workspace.cap_messages} per {workspace.get_cap_period_display()}"


def recall_rows(campaign: Campaign) -> Iterator[tuple[Any, ...]]:
    tasks = (
        RecallTask.objects.filter(recall__campaign=campaign)
        .select_related("recall__requested_by")
        .order_by("recall_id", "pk")
    )
    for task in tasks.iterator(chunk_size=2000):
        recall = task.recall
        yield (
            recall.pk,
            recall.requested_by.get_username(),
            recall.reason,
            recall.created_at,
            recall.finished_at or "",
            task.task_id,
            task.messages,
            task.get_status_display(),
            task.code,
            task.message,
            task.request_id,
        )
