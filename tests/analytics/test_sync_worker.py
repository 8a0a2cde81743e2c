"""Acceptance: a 10,000-target campaign sent by a real worker, its figures read by the beat-scheduled sync in it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pushadmin.analytics import funnel
from pushadmin.analytics.models import Snapshot
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import ROOT, WorkerProcess, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def beat(celery_worker: WorkerProcess, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A scheduler with the figures sync every second, sending to the test worker's queue.

    The test worker runs without the scheduled sync (its calls would count among other tests'
    sandbox calls); this one runs only for the test that needs it.
    """
    env = {**celery_worker.env, "PUSHADMIN_ANALYTICS_SYNC_SECONDS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pushadmin", "beat", "--schedule", str(tmp_path / "beat"), "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def test_for_10000_targets_the_figures_shown_equal_the_sandboxs_ground_truth_per_channel(
    cast, mpaas_sandbox, celery_worker, beat
):
    mpaas_sandbox.http.post(f"{mpaas_sandbox.url}/_sandbox/phones", json={"clockSpeed": 0, "advanceHours": 36})
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 10_000), cast.reviewer)
    dispatch.on_approved(campaign.pk)

    def sent():
        campaign.refresh_from_db()
        return campaign.status == CampaignStatus.SENT

    wait_for(sent, timeout=180, what="the 10,000 messages to be sent")
    # The scheduler starts the sync by itself; one complete read leaves a snapshot of all 10,000.
    wait_for(
        lambda: Snapshot.objects.filter(campaign=campaign, push_total=10_000).exists(),
        timeout=120,
        what="the scheduled figures sync",
    )

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
