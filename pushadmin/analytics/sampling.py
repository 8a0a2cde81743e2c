"""A channel mix for the quota forecast when the workspace has no recent figures: ask mPaaS about a few targets.

For a campaign waiting for review (or still a draft) in such a workspace, the sync asks
``PushQueryDeviceState`` about up to ``SAMPLE_SIZE`` of its targets, spread over its rows, and
keeps how many were on each vendor channel. Paced like the other analysis calls; a failed
answer ends the sample early and what was learned is kept only when enough targets answered.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from pushadmin.analytics.models import ALL_CHANNELS, DeviceSample, TaskFigures
from pushadmin.analytics.reading import ReadFailed, answer_of, pacer_for
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import clients
from pushadmin.delivery.models import Message
from pushadmin.mpaas.request_types import PushQueryDeviceStateRequest

SAMPLE_SIZE = 50
MIN_ANSWERS = 20
SAMPLE_AGAIN_AFTER = timedelta(days=1)
RECENT = timedelta(days=30)
# Manufacturer (as PushQueryDeviceState spells it, lower case) -> the vendor channel mPaaS pushes through.
CHANNEL_OF_MANUFACTURER = {
    "huawei": "HMS",
    "honor": "HONOR",
    "xiaomi": "MIUI",
    "redmi": "MIUI",
    "oppo": "OPPO",
    "oneplus": "OPPO",
    "realme": "OPPO",
    "vivo": "VIVO",
    "iqoo": "VIVO",
    "google": "FCM",
}


def channel_of(platform: str | None, manufacturer: str | None) -> str:
    platform = (platform or "").lower()
    if platform == "ios":
        return "IOS"
    if platform == "harmonyos":
        return "HARMONYOS"
    return CHANNEL_OF_MANUFACTURER.get((manufacturer or "").lower(), "ANDROID")


def _needs_sample(campaign: Campaign, now: datetime) -> bool:
    workspace = campaign.workspace
    has_figures = (
        TaskFigures.objects.filter(campaign__workspace=workspace, run_at__gte=now - RECENT)
        .exclude(channel=ALL_CHANNELS)
        .exists()
    )
    recent_sample = DeviceSample.objects.filter(workspace=workspace, sampled_at__gte=now - SAMPLE_AGAIN_AFTER)
    return not has_figures and not recent_sample.exists()


def sample_waiting_campaigns(*, now: datetime | None = None, deadline: float | None = None) -> int:
    """Sample one campaign per workspace that needs it; returns how many samples were kept."""
    now = now or timezone.now()
    kept = 0
    seen: set[int] = set()
    waiting = Campaign.objects.filter(status__in=(CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW)).select_related(
        "workspace"
    )
    for campaign in waiting.order_by("-updated_at")[:20]:
        if campaign.workspace_id in seen or (deadline is not None and time.monotonic() > deadline):
            continue
        seen.add(campaign.workspace_id)
        if _needs_sample(campaign, now) and sample(campaign, now=now) is not None:
            kept += 1
    return kept


def sample(campaign: Campaign, *, now: datetime) -> DeviceSample | None:
    workspace = campaign.workspace
    rows = Message.objects.filter(campaign=campaign)
    count = rows.count()
    if not count:
        return None
    # Spread over the rows (an audience file is often sorted), by row number: no scan of a big campaign.
    step = max(count // SAMPLE_SIZE, 1)
    seqs = list(range(1, count + 1, step))[:SAMPLE_SIZE]
    targets = list(rows.filter(seq__in=seqs).order_by("seq").values_list("target", flat=True))
    try:
        client = clients.build_client(workspace, timeout=float(settings.PUSHADMIN_SEND_HTTP_TIMEOUT))
    except Exception:
        return None
    pacer = pacer_for(workspace)
    channels: dict[str, int] = {}
    try:
        for target in targets:
            pacer.wait()
            request = PushQueryDeviceStateRequest(
                app_id=workspace.app_id,
                workspace_id=workspace.mpaas_workspace_id,
                tenant_id=workspace.tenant_id or None,
                target=target,
                target_type=campaign.delivery_type,
            )
            try:
                state = answer_of(client.push_query_device_state(request))
            except ReadFailed:
                break
            code = channel_of(state.platform, state.manufacturer)
            channels[code] = channels.get(code, 0) + 1
    finally:
        client.close()
    answered = sum(channels.values())
    if answered < min(MIN_ANSWERS, len(targets)):
        return None
    return DeviceSample.objects.create(
        workspace=workspace, campaign=campaign, sampled_at=now, size=answered, channels=channels
    )
