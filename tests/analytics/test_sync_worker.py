"""Acceptance: a 10,000-target campaign sent by a real worker, its figures read by the sync task in that worker."""

from __future__ import annotations

import pytest

from pushadmin.analytics import funnel, tasks
from pushadmin.analytics.models import Snapshot
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_for_10000_targets_the_figures_shown_equal_the_sandboxs_ground_truth_per_channel(
    cast, mpaas_sandbox, celery_worker
):
    mpaas_sandbox.http.post(f"{mpaas_sandbox.url}/_sandbox/phones", json={"clockSpeed": 0, "advanceHours": 36})
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 10_000), cast.reviewer)
    dispatch.on_approved(campaign.pk)

    def sent():
        campaign.refresh_from_db()
        return campaign.status == CampaignStatus.SENT

    wait_for(sent, timeout=180, what="the 10,000 messages to be sent")
    tasks.sync_figures.delay()
    wait_for(lambda: Snapshot.objects.filter(campaign=campaign).exists(), timeout=120, what="the figures sync")

    task_ids = sorted(set(Message.objects.filter(campaign=campaign).values_list("task_id", flat=True)))
    assert len(task_ids) == 100
    truth = mpaas_sandbox.http.post(f"{mpaas_sandbox.url}/_sandbox/analytics/truth", json={"taskIds": task_ids}).json()
    shown = funnel.campaign_figures(campaign)
    assert {s.key: s.count for s in shown.stages} == {
        "targets": 10_000,
        "accepted": 10_000,
        "pushed": truth["total"]["pushed"],
        "arrived": truth["total"]["arrived"],
        "opened": truth["total"]["opened"],
    }
    assert {row.key: (row.push_total, row.pushed, row.arrived, row.opened, row.ignored) for row in shown.channels} == {
        code: (f["pushTotal"], f["pushed"], f["arrived"], f["opened"], f["ignored"])
        for code, f in truth["channels"].items()
    }
    assert {row.key: row.arrived for row in shown.platforms} == {
        {"ANDROID": "Android", "IOS": "iOS", "HARMONYOS": "HarmonyOS"}[code]: f["arrived"]
        for code, f in truth["platforms"].items()
    }
    assert len(truth["channels"]) == 8  # every vendor channel of user-id targets is in the mix
