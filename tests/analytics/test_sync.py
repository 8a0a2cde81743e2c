"""The figures sync reads mPaaS's figures of sent campaigns; failures keep the last figures and never touch sending."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pushadmin.analytics import funnel, sync
from pushadmin.analytics.models import CampaignSync, Snapshot, TaskFigures
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import dispatch, sending
from pushadmin.delivery.models import Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def truth_of(sandbox, campaign: Campaign) -> dict:
    task_ids = sorted(
        set(Message.objects.filter(campaign=campaign).exclude(task_id="").values_list("task_id", flat=True))
    )
    response = sandbox.http.post(f"{sandbox.url}/_sandbox/analytics/truth", json={"taskIds": task_ids})
    response.raise_for_status()
    return response.json()


def phones(sandbox, **knobs) -> None:
    sandbox.http.post(f"{sandbox.url}/_sandbox/phones", json=knobs).raise_for_status()


def page(user, campaign: Campaign) -> str:
    client = Client()
    client.force_login(user)
    url = reverse("analytics:campaign", kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_sent_campaigns_figures_equal_the_sandboxs_per_channel_after_one_read(cast, mpaas_sandbox, send):
    phones(mpaas_sandbox, clockSpeed=0, advanceHours=30)
    campaign = send(mpaas_sandbox.url, 600)
    assert campaign.status == CampaignStatus.SENT

    assert sync.run(seconds=60) == 1

    truth = truth_of(mpaas_sandbox, campaign)
    shown = funnel.campaign_figures(campaign)
    stages = {stage.key: stage.count for stage in shown.stages}
    assert stages == {
        "targets": 600,
        "accepted": 600,
        "pushed": truth["total"]["pushed"],
        "arrived": truth["total"]["arrived"],
        "opened": truth["total"]["opened"],
    }
    assert shown.ignored == truth["total"]["ignored"]
    channels = {row.key: (row.push_total, row.pushed, row.arrived, row.opened, row.ignored) for row in shown.channels}
    assert channels == {
        code: (f["pushTotal"], f["pushed"], f["arrived"], f["opened"], f["ignored"])
        for code, f in truth["channels"].items()
    }
    html = page(cast.auditor, campaign)
    arrived = truth["total"]["arrived"]
    assert f'<th scope="row">Arrived on phones</th><td class="num" data-count>{arrived}</td>' in html
    assert "Figures last updated" in html


def test_arrivals_grow_between_reads_and_each_read_is_kept_as_a_snapshot(cast, mpaas_sandbox, send):
    phones(mpaas_sandbox, clockSpeed=0, advanceHours=0.5)
    campaign = send(mpaas_sandbox.url, 200)
    sync.run(seconds=60)
    phones(mpaas_sandbox, advanceHours=48)
    sync.read_now(campaign)
    sync.run(seconds=60)
    first, second = Snapshot.objects.filter(campaign=campaign).order_by("taken_at")
    assert first.arrived < second.arrived and second.arrived == truth_of(mpaas_sandbox, campaign)["total"]["arrived"]
    assert len(funnel.campaign_figures(campaign).growth.rows) == 2


def test_failed_or_throttled_reads_keep_the_last_figures_with_their_time_and_sending_goes_on(cast, mpaas_sandbox, send):
    phones(mpaas_sandbox, clockSpeed=0, advanceHours=2)
    campaign = send(mpaas_sandbox.url, 300)
    sync.run(seconds=60)
    read = CampaignSync.objects.get(campaign=campaign)
    before = {stage.key: stage.count for stage in funnel.campaign_figures(campaign).stages}

    phones(mpaas_sandbox, advanceHours=60, analysisFailure=1.0)
    sync.read_now(campaign)
    sync.run(seconds=60)

    failed = CampaignSync.objects.get(campaign=campaign)
    assert failed.failures == 1 and failed.last_read_at == read.last_read_at
    assert "rate limiting" in failed.last_error or "Too many requests" in failed.last_error
    assert failed.next_due_at > timezone.now()  # backing off, not hammering
    assert {stage.key: stage.count for stage in funnel.campaign_figures(campaign).stages} == before
    html = page(cast.marketer, campaign)
    assert f"Figures last updated {timezone.localtime(read.last_read_at):%H:%M} UTC" in html
    assert "The last 1 read failed" in html

    # Sending does not wait for, nor fail with, the analysis calls.
    other = send(mpaas_sandbox.url, 150, name="Autumn promotion")
    assert other.status == CampaignStatus.SENT
    assert Message.objects.filter(campaign=other, status=MessageStatus.ACCEPTED).count() == 150


def test_reads_come_often_while_fresh_rarely_once_old_and_never_after_ninety_days(cast, settings):
    settings.PUSHADMIN_ANALYTICS_FRESH_SECONDS = 300
    now = timezone.now()
    campaign = Campaign(started_at=now - timedelta(hours=3), created_at=now)
    assert sync.interval_for(campaign, now) == timedelta(minutes=5)
    campaign.started_at = now - timedelta(days=5)
    assert sync.interval_for(campaign, now) == timedelta(hours=1)
    campaign.started_at = now - timedelta(days=40)
    assert sync.interval_for(campaign, now) == timedelta(days=1)
    campaign.started_at = now - timedelta(days=91)
    assert sync.interval_for(campaign, now) is None
    settings.PUSHADMIN_ANALYTICS_BACKOFF_BASE_SECONDS = 60
    settings.PUSHADMIN_ANALYTICS_BACKOFF_CAP_SECONDS = 3600
    assert [sync.backoff(n).total_seconds() for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]


def test_a_campaign_sent_more_than_ninety_days_ago_is_not_read(cast, mpaas_sandbox, send):
    campaign = send(mpaas_sandbox.url, 100)
    Campaign.objects.filter(pk=campaign.pk).update(started_at=timezone.now() - timedelta(days=91))
    sync.run(seconds=10)
    assert not TaskFigures.objects.filter(campaign=campaign).exists()
    assert mpaas_sandbox.stats()["callsByAction"].get("QueryPushAnalysisCoreIndex", 0) == 0


def loop_of_three_days() -> dict[str, object]:
    today = datetime.now(SHANGHAI).date()
    return {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "daily",
        "days": [],
        "time": "23:30:00",
        "start_date": str(today),
        "end_date": str(today + timedelta(days=2)),
    }


def test_a_loops_runs_each_have_their_own_figures(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks):
    phones(mpaas_sandbox, clockSpeed=0, advanceHours=80)  # the phones' clock is past all three runs
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 150, strategy=loop_of_three_days()), cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    for batch_id in list(enqueued):
        sending.send_batch(batch_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED

    sync.run(seconds=60)

    truth = truth_of(mpaas_sandbox, campaign)
    runs = funnel.campaign_figures(campaign).runs
    assert len(runs) == len(truth["runs"]) >= 2
    assert [(r.push_total, r.arrived, r.opened) for r in runs] == [
        (f["pushTotal"], f["arrived"], f["opened"]) for _, f in sorted(truth["runs"].items(), key=lambda i: int(i[0]))
    ]
    assert all(r.push_total == 150 for r in runs)  # every run went to every target
    html = page(cast.reviewer, campaign)
    assert "Per run" in html and "Run 2:" in html


def test_the_scheduler_starts_the_sync_on_its_own(settings):
    from pushadmin.analytics import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-sync"]
    assert entry["task"] == tasks.sync_figures.name
    assert entry["schedule"] == float(settings.PUSHADMIN_ANALYTICS_SYNC_SECONDS) > 0
