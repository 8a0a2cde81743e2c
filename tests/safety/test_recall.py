"""Recalling a sent campaign: every mPaaS task revoked in the sandbox by a real worker, messages marked recalled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.notifications.models import Notification
from pushadmin.safety import recalling
from pushadmin.safety.models import Recall, RecallStatus, RecallTaskStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for
from tests.safety.people import client_for


def finished(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status in (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED)


def recall_url(campaign: Campaign, tail: str = "") -> str:
    return f"/w/{campaign.workspace_id}/campaigns/{campaign.pk}/recall/{tail}"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_recalls_a_10000_target_campaign_and_every_task_is_revoked(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 10_000), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: finished(campaign), timeout=240, what="the campaign to finish")
    assert campaign.status == CampaignStatus.SENT
    task_ids = set(Message.objects.filter(campaign=campaign).values_list("task_id", flat=True))
    assert len(task_ids) == 100 and "" not in task_ids

    reviewer = client_for(cast.reviewer)
    assert "Recall every message of this campaign" in reviewer.get(recall_url(campaign)).content.decode()
    response = reviewer.post(recall_url(campaign, "start/"), {"reason": "Wrong price in the text"})
    assert response.status_code == 302
    recall = Recall.objects.get(campaign=campaign)
    wait_for(lambda: Recall.objects.get(pk=recall.pk).status == RecallStatus.DONE, timeout=120, what="the recall")

    revoked = mpaas_sandbox.http.get(f"{mpaas_sandbox.url}/_sandbox/revoked").json()["tasks"]
    assert {t["taskId"] for t in revoked} == task_ids and len(revoked) == 100
    assert sum(t["messages"] for t in revoked) == 10_000
    assert mpaas_sandbox.stats()["callsByAction"]["RevokePushTask"] == 100
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.RECALLED).count() == 10_000
    assert set(recall.tasks.values_list("status", flat=True)) == {RecallTaskStatus.RECALLED}
    page = reviewer.get(recall_url(campaign)).content.decode()
    assert "100 recalled (10000 messages)" in page and "Recall finished" in page
    assert "already under way" not in page and "none was accepted, or all were recalled" in page
    done = AuditEntry.objects.get(action="campaign.recalled")
    assert done.detail["recalled"] == 100 and done.detail["reason"] == "Wrong price in the text"
    assert done.actor == cast.reviewer
    assert AuditEntry.objects.filter(action="campaign.recall_requested", object_id=str(campaign.pk)).count() == 1
    told = Notification.objects.get(user=cast.marketer, kind="campaign.recalled")
    assert "was recalled from phones by rob.reviewer: Wrong price in the text" in told.text


@pytest.mark.django_db
def test_past_the_seven_day_window_the_button_is_replaced_by_why(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 3)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    Message.objects.filter(campaign=campaign).update(
        status=MessageStatus.ACCEPTED, task_id="t1", updated_at=timezone.now() - timedelta(days=7, minutes=5)
    )
    reviewer = client_for(cast.reviewer)

    page = reviewer.get(recall_url(campaign)).content.decode()
    refused = reviewer.post(recall_url(campaign, "start/"), {"reason": "too late?"})

    assert "mPaaS recalls a push only within 7 days of sending it" in page
    assert "Recall every message of this campaign" not in page
    assert refused.status_code == 400 and not Recall.objects.exists()
    Message.objects.filter(campaign=campaign).update(updated_at=timezone.now() - timedelta(days=6))
    campaign.refresh_from_db()
    assert recalling.why_not(campaign) is None


@pytest.mark.django_db
def test_only_reviewers_and_admins_recall_and_a_reason_is_required(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 2)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.ACCEPTED, task_id="t1")

    assert client_for(cast.marketer).post(recall_url(campaign, "start/"), {"reason": "x"}).status_code == 403
    assert client_for(cast.auditor).post(recall_url(campaign, "start/"), {"reason": "x"}).status_code == 403
    empty = client_for(cast.admin).post(recall_url(campaign, "start/"), {"reason": "  "})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    assert client_for(cast.outsider).get(recall_url(campaign)).status_code == 404
    assert not Recall.objects.exists()


@pytest.mark.django_db
def test_a_campaign_still_sending_cannot_be_recalled(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 2)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    campaign.refresh_from_db()
    assert recalling.why_not(campaign) == "Only a sent or partly sent campaign can be recalled."
