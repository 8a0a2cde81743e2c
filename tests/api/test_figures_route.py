"""A campaign's delivery figures through the API equal what the campaign's figures page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pushadmin.accounts.models import Role
from pushadmin.analytics.models import CampaignSync, TaskFigures
from pushadmin.delivery.models import Message, MessageStatus
from tests.api.api_client import token_for
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign

pytestmark = pytest.mark.django_db


def test_the_funnel_per_channel_and_the_time_of_the_last_read(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    rows = Message.objects.filter(campaign=campaign)
    rows.update(status=MessageStatus.ACCEPTED, task_id="T1")
    targets = rows.count()
    read_at = timezone.now() - timedelta(minutes=5)
    common = {"campaign": campaign, "task_id": "T1", "run_task_id": "T1", "run_at": read_at, "read_at": read_at}
    TaskFigures.objects.create(**common, channel="", push_total=targets, pushed=targets, arrived=2, opened=1, ignored=1)
    TaskFigures.objects.create(**common, channel="HMS", push_total=targets, pushed=targets, arrived=2, opened=1)
    CampaignSync.objects.create(campaign=campaign, last_read_at=read_at, last_error="")

    auditor = token_for(cast.auditor, cast.workspace, Role.AUDITOR)
    answer = Client().get(f"/api/v1/campaigns/{campaign.pk}/figures", HTTP_AUTHORIZATION=f"Bearer {auditor}")
    assert answer.status_code == 200, answer.content
    figures = answer.json()
    assert figures["has_figures"] is True
    assert [(s["key"], s["count"]) for s in figures["stages"]] == [
        ("targets", targets),
        ("accepted", targets),
        ("pushed", targets),
        ("arrived", 2),
        ("opened", 1),
    ]
    assert figures["own_counts"] == {"accepted": targets}
    (huawei,) = figures["channels"]
    assert (huawei["key"], huawei["label"], huawei["arrived"]) == ("HMS", "Huawei (HMS)", 2)
    assert huawei["arrival_rate_percent"] == round(100 * 2 / targets, 1)
    assert figures["last_updated"].startswith(read_at.strftime("%Y-%m-%dT%H:%M"))

    other = Client().get(
        f"/api/v1/campaigns/{campaign.pk}/figures",
        HTTP_AUTHORIZATION=f"Bearer {token_for(cast.outsider, cast.other_workspace, Role.AUDITOR)}",
    )
    assert other.status_code == 404
