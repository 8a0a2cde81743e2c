"""Where else the safety nets hold: test sends, resend rounds, the schedule editor, and mPaaS refusing a recall."""

from __future__ import annotations

import time as time_module
from datetime import time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import controls
from pushadmin.delivery.models import Batch, Message, MessageStatus
from pushadmin.safety import recalling
from pushadmin.safety.models import Recall, RecallStatus, RecallTask, RecallTaskStatus, Suppression
from tests.delivery.campaigns import draft_campaign, point_at
from tests.personas import Cast
from tests.safety.people import client_for

pytestmark = pytest.mark.django_db


def test_a_test_send_to_a_suppressed_target_is_refused_and_nothing_is_sent(cast: Cast, mpaas_sandbox: Any) -> None:
    point_at(cast.workspace, mpaas_sandbox.url)
    campaign = draft_campaign(cast.workspace, cast.marketer, 2)
    Suppression.objects.create(workspace=cast.workspace, target="user-000002", reason="opted_out")
    path = reverse("campaigns:test_send", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})

    html = client_for(cast.marketer).post(path, {"test_row": "2"}, HTTP_HX_REQUEST="true").content.decode()

    assert "“user-000002” is on the workspace&#x27;s suppression list" in html
    assert mpaas_sandbox.messages() == []


def test_a_resend_round_leaves_out_targets_suppressed_since_the_first_round(cast: Cast) -> None:
    campaign = draft_campaign(cast.workspace, cast.marketer, 5)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.REJECTED, result_code="9000")
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, send_round=2)
    campaign.refresh_from_db()
    Suppression.objects.create(workspace=cast.workspace, target="user-000004", reason="complaint")

    batch_ids, more = controls.cut_resend_rows(campaign, 100)

    assert not more and len(batch_ids) == 1
    resent = Message.objects.filter(batch_id__in=batch_ids).values_list("target", flat=True)
    assert sorted(resent) == ["user-000001", "user-000002", "user-000003", "user-000005"]
    assert Message.objects.get(campaign=campaign, target="user-000004").status == MessageStatus.SUPPRESSED
    assert Batch.objects.filter(campaign=campaign).count() == 1


def test_the_schedule_editor_warns_of_a_fixed_time_in_quiet_hours(cast: Cast) -> None:
    point_at(
        cast.workspace,
        cast.workspace.endpoint_url,
        time_zone="UTC",
        quiet_hours_start=time(21),
        quiet_hours_end=time(8),
    )
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    path = reverse("campaigns:strategy_preview", kwargs={"workspace_id": cast.workspace.pk})
    marketer = client_for(cast.marketer)

    def preview(at: str) -> str:
        data = {"s-type": "fixed", "s-time_zone": "UTC", "s-fixed_at": f"{tomorrow}T{at}"}
        return marketer.post(path, data, HTTP_HX_REQUEST="true").content.decode()

    assert "data-quiet-hours-warning" in preview("23:30")
    assert "fall in the workspace&#x27;s quiet hours (21:00 to 08:00 UTC)" in preview("06:00")
    assert "data-quiet-hours-warning" not in preview("12:00")


def test_mpaas_refusing_a_task_is_shown_per_task_and_its_messages_stay_accepted(cast: Cast, mpaas_sandbox: Any) -> None:
    point_at(cast.workspace, mpaas_sandbox.url)
    campaign = draft_campaign(cast.workspace, cast.marketer, 3)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.ACCEPTED, task_id="never-sent-task")
    recall = Recall.objects.create(campaign=campaign, reason="test", requested_by=cast.reviewer)
    RecallTask.objects.create(recall=recall, task_id="never-sent-task", messages=3)

    recalling.run(recall.pk, sleep=lambda seconds: None)

    task = RecallTask.objects.get(recall=recall)
    assert task.status == RecallTaskStatus.REFUSED and task.code == "3028"
    assert "no task never-sent-task" in task.message and task.request_id
    assert Recall.objects.get(pk=recall.pk).status == RecallStatus.DONE
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count() == 3
    assert recalling.run(recall.pk) is None  # finished: a second run finds nothing to do


def test_a_recall_keeps_to_the_workspaces_call_rate(cast: Cast, mpaas_sandbox: Any) -> None:
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=5)
    campaign = draft_campaign(cast.workspace, cast.marketer, 1)
    recall = Recall.objects.create(campaign=campaign, reason="pace", requested_by=cast.reviewer)
    RecallTask.objects.bulk_create(RecallTask(recall=recall, task_id=f"t{n}") for n in range(8))
    before = mpaas_sandbox.stats()["callsByAction"].get("RevokePushTask", 0)

    started = time_module.monotonic()
    recalling.run(recall.pk)
    elapsed = time_module.monotonic() - started

    assert mpaas_sandbox.stats()["callsByAction"]["RevokePushTask"] - before == 8
    assert elapsed >= 7 / 5 * 0.9, f"8 calls at 5 per second took only {elapsed:.2f} s"
