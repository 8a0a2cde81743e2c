"""Fixed-time and loop campaigns: registered on mPaaS when they fit, held here otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import dispatch, requests, scheduling, sending
from pushadmin.delivery.models import Batch, Message
from tests.delivery.campaigns import approve, draft_campaign, point_at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def enqueued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(sending, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


def fixed_at(delta: timedelta) -> dict[str, str]:
    local = (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")
    return {"type": "fixed", "time_zone": "Asia/Shanghai", "fixed_at": local}


def loop_strategy() -> dict[str, object]:
    today = datetime.now(SHANGHAI).date()
    return {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "daily",
        "days": [],
        "time": "09:30:00",
        "start_date": str(today + timedelta(days=1)),
        "end_date": str(today + timedelta(days=10)),
    }


def test_an_immediate_campaign_is_sent_on_approval(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 5)
    assert scheduling.scheduling_plan(campaign) == (scheduling.IMMEDIATE, "Sent as soon as it is approved.")


def test_a_fixed_time_campaign_that_fits_is_registered_on_mpaas_and_can_be_cancelled_there(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3)))
    mode, reason = scheduling.scheduling_plan(campaign)
    assert mode == scheduling.ON_MPAAS and "3 scheduled tasks" in reason and "0 of the 100" in reason

    approve(campaign, cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.on_approved(campaign.pk)
    for batch_id in enqueued:
        sending.send_batch(batch_id)

    stored = mpaas_sandbox.messages()
    assert len(stored) == 250 and {m["strategyType"] for m in stored} == {1}
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3
    assert Message.objects.filter(campaign=campaign).values("task_id").distinct().count() == 3
    scheduling.cancel_on_mpaas(campaign)
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0
    assert all(m["cancelled"] for m in mpaas_sandbox.messages())


def test_a_fixed_time_campaign_too_big_for_mpaas_is_held_here_and_says_why(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3)))
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=99)
    assert mode == scheduling.HELD_LOCALLY
    assert reason.startswith("It needs 3 scheduled tasks but mPaaS allows 100 unexecuted ones (99 taken)")


def test_a_loop_too_big_for_mpaas_is_refused_with_the_reason(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=loop_strategy())
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=98)
    assert mode == scheduling.REFUSED and "only 2 of 100 are free" in reason


def test_a_held_campaign_starts_when_due_and_goes_out_as_an_immediate_push(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 120, strategy=fixed_at(timedelta(minutes=-1))), cast.reviewer
    )
    transition(campaign, CampaignStatus.SCHEDULED, action="campaign.scheduled")

    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.start_due_campaigns() == [campaign.pk]
    batch = Batch.objects.filter(campaign=campaign).first()
    request = requests.build_request(campaign, list(batch.messages.all()))
    assert request.strategy_type is None and request.strategy_content is None
    for batch_id in enqueued:
        sending.send_batch(batch_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert {m["strategyType"] for m in mpaas_sandbox.messages()} == {0}


def test_a_held_campaign_does_not_start_before_its_time(cast):
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 10, strategy=fixed_at(timedelta(hours=2))), cast.reviewer
    )
    transition(campaign, CampaignStatus.SCHEDULED, action="campaign.scheduled")
    assert scheduling.start_due_campaigns() == []
