"""Unknown outcomes are settled from mPaaS's records: found tasks become accepted, missing ones are evidence only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pushadmin.analytics import settling, sync
from pushadmin.analytics.models import LookupState, TaskLookup
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import clients
from pushadmin.delivery.models import Attempt, Batch, Message, MessageStatus
from pushadmin.delivery.requests import task_name_for
from pushadmin.mpaas import analysis
from pushadmin.mpaas.request_types import QueryPushAnalysisTaskListRequest

pytestmark = pytest.mark.django_db


def test_every_call_carries_a_task_name_unique_to_its_batch_and_round(cast, mpaas_sandbox, send):
    campaign = send(mpaas_sandbox.url, 250)
    expected = [
        task_name_for(campaign, batch.seq, batch.send_round) for batch in Batch.objects.filter(campaign=campaign)
    ]
    assert len(set(expected)) == 3 and all(campaign.msg_key_prefix in name for name in expected)
    workspace = campaign.workspace
    with clients.build_client(workspace, timeout=5) as client:
        for name in expected:
            found = client.query_push_analysis_task_list(
                QueryPushAnalysisTaskListRequest(
                    app_id=workspace.app_id,
                    workspace_id=workspace.mpaas_workspace_id,
                    start_time=analysis.day_start_ms(timezone.now() - timedelta(days=1)),
                    task_name=name,
                )
            )
            assert found.value is not None and [task.task_name for task in found.value] == [name]


def test_messages_whose_answer_was_dropped_become_accepted_when_mpaas_has_their_task(cast, mpaas_sandbox, send):
    mpaas_sandbox.faults(dropAfterAccept=0.5, seed=1)
    campaign = send(mpaas_sandbox.url, 400)
    mpaas_sandbox.faults(dropAfterAccept=0.0)
    assert campaign.status == CampaignStatus.PARTLY_SENT
    unknown = list(Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN).values_list("pk", flat=True))
    assert unknown
    pushes = mpaas_sandbox.stats()["callsByAction"]["PushMultiple"]

    confirmed = settling.settle_unknown()

    assert confirmed == len(unknown)
    rows = Message.objects.filter(pk__in=unknown)
    assert {row.status for row in rows} == {MessageStatus.ACCEPTED}
    stored = {m["msgKey"]: m["taskId"] for m in mpaas_sandbox.messages()}
    assert all(row.task_id == stored[row.msg_key] and row.result_message == settling.CONFIRMED_NOTE for row in rows)
    entries = AuditEntry.objects.filter(action="delivery.unknown_confirmed")
    assert sum(e.detail["messages"] for e in entries) == len(unknown)
    assert {e.detail["note"] for e in entries} == {"confirmed from mPaaS records"}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert mpaas_sandbox.stats()["callsByAction"]["PushMultiple"] == pushes  # nothing was sent again


def test_a_call_mpaas_has_no_record_of_is_shown_as_evidence_and_never_resent(cast, mpaas_sandbox, send, settings):
    settings.PUSHADMIN_ANALYTICS_ABSENT_AFTER_SECONDS = 600
    campaign = send(mpaas_sandbox.url, 200)
    # As a worker killed before its call left would leave it: the second batch's rows unknown, no task in mPaaS.
    batch = Batch.objects.get(campaign=campaign, seq=2)
    Message.objects.filter(batch=batch).update(status=MessageStatus.UNKNOWN, task_id="", request_id="")
    Attempt.objects.filter(batch=batch).update(started_at=timezone.now() - timedelta(minutes=5))
    mpaas_sandbox.reset()  # mPaaS never got that call

    sync.run(seconds=10)
    lookup = TaskLookup.objects.get(batch=batch)
    assert lookup.state == LookupState.PENDING and lookup.checks == 1  # too soon to say

    Attempt.objects.filter(batch=batch).update(started_at=timezone.now() - timedelta(minutes=20))
    TaskLookup.objects.filter(pk=lookup.pk).update(checked_at=timezone.now() - timedelta(hours=1))
    sync.run(seconds=10)
    lookup.refresh_from_db()
    assert lookup.state == LookupState.ABSENT
    assert Message.objects.filter(batch=batch, status=MessageStatus.UNKNOWN).count() == 100
    assert AuditEntry.objects.filter(action="delivery.unknown_not_in_mpaas").count() == 1
    assert mpaas_sandbox.stats()["callsByAction"].get("PushMultiple", 0) == 0

    client = Client()
    client.force_login(cast.reviewer)
    url = reverse("delivery:unknown", kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})
    html = client.get(url).content.decode()
    assert "What mPaaS's records say" in html and lookup.task_name in html
    assert "mPaaS has no task by this name" in html
