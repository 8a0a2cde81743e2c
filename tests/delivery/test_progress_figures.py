"""The progress page's rate and ETA come from recent progress; cancelled rows are never counted as progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery.models import Attempt, Batch, Message, MessageStatus
from pushadmin.delivery.progress import campaign_progress
from tests.delivery.campaigns import approve, draft_campaign

pytestmark = pytest.mark.django_db


def sending_for(cast, seconds: float, targets: int = 10_000):
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets), cast.reviewer)
    started = timezone.now() - timedelta(seconds=seconds)
    return transition(campaign, CampaignStatus.SENDING, action="t", changes={"started_at": started})


def settle(campaign, count: int, seconds_ago: float) -> None:
    batch, _ = Batch.objects.get_or_create(campaign=campaign, seq=1, send_round=1)
    Attempt.objects.create(
        batch=batch,
        campaign=campaign,
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
        outcome="accepted",
        settled=count,
    )
    first = Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).order_by("seq")[:count]
    Message.objects.filter(pk__in=list(first.values_list("pk", flat=True))).update(status=MessageStatus.ACCEPTED)


def test_five_seconds_into_a_send_the_rate_is_measured_over_those_five_seconds(cast) -> None:
    campaign = sending_for(cast, seconds=5)
    for second in range(5):
        settle(campaign, 100, seconds_ago=second + 0.5)
    progress = campaign_progress(campaign)
    assert 95 <= progress.rate_per_second <= 105  # 500 messages in 5 s, not 500 in the 20 s window
    assert 90 <= progress.eta_seconds <= 100  # 9,500 left at 100/s
    assert progress.eta_text.startswith("1 min 3") or progress.eta_text.startswith("1 min 4")


def test_an_older_burst_does_not_hold_the_rate_up(cast) -> None:
    campaign = sending_for(cast, seconds=300)
    settle(campaign, 5000, seconds_ago=200)
    settle(campaign, 200, seconds_ago=10)
    assert 9 <= campaign_progress(campaign).rate_per_second <= 11  # 200 in the last 20 s


def test_a_cancelled_campaign_with_nothing_sent_shows_nothing_settled(cast) -> None:
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 1000), cast.reviewer)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.CANCELLED)
    campaign = transition(campaign, CampaignStatus.CANCELLED, action="t")
    progress = campaign_progress(campaign)
    assert (progress.done, progress.done_percent, progress.total) == (0, 0.0, 1000)
    assert {bar.label: bar.count for bar in progress.bars}["Cancelled"] == 1000
