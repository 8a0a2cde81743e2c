"""Quiet hours: marketing campaigns start no calls in the window, pause, and resume when it ends."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.preflight import preflight
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.safety import quiet
from pushadmin.safety.models import CampaignSafety
from pushadmin.workspaces.forms import WorkspaceForm
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for

ZONE = "Asia/Shanghai"


def window_around_now(hours_before: int, hours_after: int) -> dict[str, object]:
    local = timezone.now().astimezone(ZoneInfo(ZONE))
    start = (local - timedelta(hours=hours_before)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=hours_after)).time().replace(second=0, microsecond=0)
    return {"time_zone": ZONE, "quiet_hours_start": start, "quiet_hours_end": end}


def status_of(campaign: Campaign) -> str:
    campaign.refresh_from_db()
    return campaign.status


def sent_to_sandbox(sandbox, campaign: Campaign) -> int:
    keys = set(Message.objects.filter(campaign=campaign).values_list("msg_key", flat=True))
    return sum(1 for m in sandbox.messages() if m["msgKey"] in keys)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_marketing_campaign_pauses_in_quiet_hours_and_resumes_when_they_end(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500, **window_around_now(1, 1))
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 300), cast.reviewer)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: status_of(campaign) == CampaignStatus.PAUSED, timeout=60, what="the quiet-hours pause")

    assert campaign.pause_reason.startswith("Quiet hours of the workspace (")
    assert "it resumes by itself at" in campaign.pause_reason
    assert sent_to_sandbox(mpaas_sandbox, campaign) == 0
    assert quiet.resume_after_quiet_hours() == []  # still quiet: stays paused

    # The window moves on (as the clock would): the beat job resumes the campaign and it is sent.
    point_at(cast.workspace, mpaas_sandbox.url, **window_around_now(-2, 3))
    assert quiet.resume_after_quiet_hours() == [campaign.pk]
    wait_for(lambda: status_of(campaign) == CampaignStatus.SENT, timeout=60, what="the campaign to be sent")
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count() == 300
    assert sent_to_sandbox(mpaas_sandbox, campaign) == 300


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_service_notice_sends_through_quiet_hours(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500, **window_around_now(1, 1))
    campaign = draft_campaign(cast.workspace, cast.marketer, 200, name="Outage notice")
    CampaignSafety.objects.create(campaign=campaign, service_notice=True)
    campaign = approve(campaign, cast.reviewer)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: status_of(campaign) == CampaignStatus.SENT, timeout=60, what="the notice to be sent")

    assert sent_to_sandbox(mpaas_sandbox, campaign) == 200


@pytest.mark.parametrize(
    ("at", "inside"),
    [("20:59", False), ("21:00", True), ("23:59", True), ("00:00", True), ("07:59", True), ("08:00", False)],
)
def test_a_window_past_midnight_holds_from_its_start_to_just_before_its_end(at: str, inside: bool) -> None:
    assert quiet.in_window(time.fromisoformat(at), time(21, 0), time(8, 0)) is inside


@pytest.mark.django_db
def test_the_schedule_warns_when_a_fixed_time_falls_in_quiet_hours(cast, freeze_clock):
    point_at(
        cast.workspace, cast.workspace.endpoint_url, time_zone=ZONE, quiet_hours_start=time(21), quiet_hours_end=time(8)
    )
    late = {"type": "fixed", "time_zone": ZONE, "fixed_at": "2026-11-27T22:30"}
    campaign = draft_campaign(cast.workspace, cast.marketer, 1, strategy=late)

    warnings = preflight(campaign, now=freeze_clock).warnings
    assert any(
        "fall in the workspace's quiet hours (21:00 to 08:00 Asia/Shanghai), first 2026-11-27 22:30" in w
        for w in warnings
    )

    Campaign.objects.filter(pk=campaign.pk).update(strategy={**late, "fixed_at": "2026-11-27T10:00"})
    campaign.refresh_from_db()
    assert not any("quiet hours" in w for w in preflight(campaign, now=freeze_clock).warnings)


def test_quiet_hours_need_both_ends_in_the_settings(db: None) -> None:
    data = {
        "name": "W",
        "app_id": "A",
        "mpaas_workspace_id": "W",
        "region": "cn-hangzhou",
        "endpoint_url": "http://127.0.0.1:8765",
        "api_version": "2019-08-21",
        "access_key_id": "id",
        "access_key_secret": "s",
        "signature_scheme": "v3",
        "calls_per_second": 20,
        "ambiguous_policy": "mark_unknown",
        "required_approvals": 1,
        "time_zone": "Mars/Olympus",
        "quiet_hours_start": "21:00",
        "cap_period": "24h",
    }
    form = WorkspaceForm(data)
    assert not form.is_valid()
    assert form.errors["quiet_hours_end"] == ["Give both the start and the end of the quiet hours, or neither."]
    assert "is not a known time zone" in form.errors["time_zone"][0]
