"""Once a pause or a cancel commits, no new call starts; calls already on their way finish and are recorded."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import controls, dispatch
from pushadmin.delivery.models import Attempt, Batch, BatchStatus, Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import WorkerProcess, wait_for
from tests.reviews.campaign_rows import request_by

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The test worker runs this many processes, each with a window of calls in flight: at most that
# many calls can be on their way when a stop commits (the sandbox counts a call when it arrives).
WORKER_PROCESSES = 2
ON_THEIR_WAY = WORKER_PROCESSES * settings.PUSHADMIN_SEND_WINDOW


def sending_slowly(cast, mpaas_sandbox):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=100)
    mpaas_sandbox.faults(latencyMs=200)  # a step of 10 calls takes 2 s: a stop lands inside one
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 8000), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: mpaas_sandbox.stats()["calls"] >= 3, timeout=30, what="the first calls")
    return campaign


def calls_reaching(mpaas_sandbox, campaign: Campaign) -> int:
    """This campaign's calls the sandbox received (one RequestId each): the session's worker is shared,
    so the sandbox's own call counter may also count a late call of an earlier test's campaign."""
    keys = set(Message.objects.filter(campaign=campaign).values_list("msg_key", flat=True))
    return len({m["requestId"] for m in mpaas_sandbox.messages() if m["msgKey"] in keys})


def explain(campaign: Campaign, worker: WorkerProcess) -> str:
    """What a failure needs to be understood: the rows' states, the calls not answered, the worker's last lines."""
    states = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    unanswered = Attempt.objects.filter(campaign=campaign).exclude(outcome="accepted")
    lines = [f"states: {dict(states)}", *(f"{a.batch_id}: {a.code} {a.message}" for a in unanswered)]
    return "\n".join([*lines, "worker log:", *worker.log[-60:]])


def settled(campaign: Campaign) -> bool:
    return not Batch.objects.filter(campaign=campaign, status__in=[BatchStatus.CLAIMED, BatchStatus.IN_FLIGHT]).exists()


def test_after_a_pause_commits_no_new_call_starts(cast, mpaas_sandbox, celery_worker):
    campaign = sending_slowly(cast, mpaas_sandbox)
    controls.pause(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.marketer))
    calls_at_pause = mpaas_sandbox.stats()["calls"]

    wait_for(lambda: settled(campaign), timeout=30, what="calls on their way to be recorded")

    assert mpaas_sandbox.stats()["calls"] - calls_at_pause <= ON_THEIR_WAY
    calls = calls_reaching(mpaas_sandbox, campaign)
    assert Attempt.objects.filter(campaign=campaign).count() == calls
    accepted = Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count()
    assert accepted == 100 * calls
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PAUSED


def test_a_reviewers_emergency_cancel_stops_new_calls_and_cancels_the_rest(cast, mpaas_sandbox, celery_worker):
    campaign = sending_slowly(cast, mpaas_sandbox)
    controls.cancel(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.reviewer))
    calls_at_cancel = mpaas_sandbox.stats()["calls"]

    wait_for(lambda: settled(campaign), timeout=30, what="calls on their way to be recorded")

    assert mpaas_sandbox.stats()["calls"] - calls_at_cancel <= ON_THEIR_WAY
    calls = calls_reaching(mpaas_sandbox, campaign)
    assert Attempt.objects.filter(campaign=campaign).count() == calls
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status=MessageStatus.ACCEPTED).count() == 100 * calls, explain(campaign, celery_worker)
    wait_for(
        lambda: messages.filter(status=MessageStatus.CANCELLED).count() == 8000 - 100 * calls,
        timeout=30,
        what="the unsent rows to be cancelled",
    )
