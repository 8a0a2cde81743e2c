"""Webhooks from registration to delivery: a workspace admin registers a loopback receiver, a
campaign goes through review and is sent by a real worker, and the receiver gets each step once,
signed per Standard Webhooks, the first one after a retry."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from pushadmin.audiences import importing
from pushadmin.audiences.models import AudienceImport
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns import workflow
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import controls
from pushadmin.notifications.models import Notification
from pushadmin.reviews import approving
from pushadmin.safety import recalling
from pushadmin.safety.models import Recall, RecallStatus, RecallTask, RecallTaskStatus
from pushadmin.webhooks import addresses, delivering
from pushadmin.webhooks.events import emit
from pushadmin.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from tests.delivery.campaigns import point_at
from tests.fixtures.processes import wait_for
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by
from tests.webhooks.receiver import Receiver

SECRET = re.compile(r'<code class="secret-once" id="new-secret">(whsec_[A-Za-z0-9+/=]+)</code>')


def register(cast: Cast, url: str, events: list[str]) -> tuple[Endpoint, str]:
    admin = Client()
    admin.force_login(cast.admin)
    page = admin.post(f"/w/{cast.workspace.pk}/webhooks/", {"url": url, "events": events}).content.decode()
    secret = SECRET.search(page)
    assert secret, page
    return Endpoint.objects.get(workspace=cast.workspace, url=url), secret.group(1)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_each_step_of_a_campaign_reaches_the_receiver_once_signed(
    cast: Cast, webhook_receiver: Receiver, mpaas_sandbox: Any, celery_worker: Any
) -> None:
    point_at(cast.workspace, mpaas_sandbox.url, required_approvals=1, calls_per_second=50)
    endpoint, webhook_receiver.secret = register(cast, webhook_receiver.url, list(Event.values))
    assert webhook_receiver.secret not in str(AuditEntry.objects.get(action="webhook.endpoint_created").__dict__)
    webhook_receiver.answers = [503]  # the first delivery fails once and is tried again

    campaign = make_campaign(cast.workspace, cast.marketer)
    workflow.submit_for_review(campaign, request=request_by(cast.marketer))
    campaign.refresh_from_db()
    approving.approve(campaign, request=request_by(cast.reviewer), shown=approving.Shown.of(campaign))

    expected = ["campaign.submitted", "campaign.approved", "campaign.sending", "campaign.finished"]
    wait_for(lambda: len(webhook_receiver.events()) == 4, timeout=60, what="four events delivered")
    assert sorted(webhook_receiver.events()) == sorted(expected)
    assert webhook_receiver.refused_signatures == 0
    # Whichever delivery came first got the 503 and came again with the same webhook-id.
    (failed,) = [a for a in webhook_receiver.arrivals if a.answered == 503]
    retried = [a.answered for a in webhook_receiver.arrivals if a.message_id == failed.message_id]
    assert retried == [503, 204]
    finished = next(a for a in webhook_receiver.arrivals if a.event == "campaign.finished").payload["data"]
    assert finished["campaign"]["status"] == "sent" and finished["counts"] == {"accepted": 3}
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"

    # The delivery page shows each try with its code and latency; "send again" repeats the same id.
    admin = Client()
    admin.force_login(cast.admin)
    page = admin.get(f"/w/{cast.workspace.pk}/webhooks/{endpoint.pk}/").content.decode()
    assert "503" in page and " ms" in page and "Delivered" in page
    approved = Delivery.objects.get(endpoint=endpoint, event="campaign.approved")
    admin.post(f"/w/{cast.workspace.pk}/webhooks/{endpoint.pk}/deliveries/{approved.pk}/send-again/")
    wait_for(
        lambda: [a.message_id for a in webhook_receiver.arrivals].count(approved.message_id) == 2,
        timeout=30,
        what="the delivery sent again",
    )
    assert AuditEntry.objects.filter(action="webhook.delivery_resent").count() == 1


@pytest.mark.django_db  # deliveries are queued on commit, which never comes here: this test sends them itself
def test_an_endpoint_that_keeps_failing_is_disabled_and_its_admins_told(cast: Cast, webhook_receiver: Receiver) -> None:
    endpoint, webhook_receiver.secret = register(cast, webhook_receiver.url, ["campaign.approved"])
    webhook_receiver.answers = [500, 500]
    with override_settings(PUSHADMIN_WEBHOOK_DISABLE_AFTER=2):
        for _ in range(2):
            (delivery_id,) = emit(cast.workspace, "campaign.approved", {"campaign": {"id": 1}})
            assert delivering.deliver(delivery_id) == DeliveryStatus.PENDING  # retried later, for a day
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "2 failed deliveries in a row" in endpoint.disabled_reason
    told = Notification.objects.get(kind="webhook.endpoint_disabled")
    assert told.user == cast.admin and webhook_receiver.url in told.text
    assert AuditEntry.objects.filter(action="webhook.endpoint_disabled").count() == 1
    assert emit(cast.workspace, "campaign.approved", {}) == []  # a disabled endpoint gets nothing new


@pytest.mark.django_db
def test_a_receiver_refusing_for_good_is_not_tried_again(cast: Cast, webhook_receiver: Receiver) -> None:
    _, webhook_receiver.secret = register(cast, webhook_receiver.url, ["campaign.rejected"])
    webhook_receiver.answers = [410]
    (delivery_id,) = emit(cast.workspace, "campaign.rejected", {"reason": "typo"})
    assert delivering.deliver(delivery_id) == DeliveryStatus.FAILED
    delivery = Delivery.objects.get(pk=delivery_id)
    assert (delivery.last_status_code, delivery.next_attempt_at, delivery.attempts) == (410, None, 1)


@pytest.mark.django_db
def test_webhook_addresses_follow_the_mpaas_endpoint_rule(cast: Cast) -> None:
    assert addresses.refusal("http://127.0.0.1:9000/hook") is None  # development: loopback allowed
    assert "private" in (addresses.refusal("https://10.1.2.3/hook") or "")
    assert "https" in (addresses.refusal("http://hooks.example.com/x") or "")
    with override_settings(PUSHADMIN_ENV="production"):
        assert "loopback" in (addresses.refusal("http://127.0.0.1:9000/hook") or "")
        assert "loopback" in (addresses.refusal("https://[::1]/hook") or "")
        assert addresses.refusal("https://hooks.example.com/x") is None
    admin = Client()
    admin.force_login(cast.admin)
    page = admin.post(
        f"/w/{cast.workspace.pk}/webhooks/", {"url": "https://192.168.0.9/x", "events": ["campaign.approved"]}
    )
    assert page.status_code == 400 and "192.168.0.9 is a private address" in page.content.decode()
    assert not Endpoint.objects.exists()


@pytest.mark.django_db
def test_pausing_and_cancelling_are_events_with_their_reason(cast: Cast) -> None:
    endpoint, _ = register(cast, "http://127.0.0.1:9/hooks", ["campaign.paused", "campaign.cancelled"])
    campaign = make_campaign(cast.workspace, cast.marketer)
    for to in (CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED, CampaignStatus.SENDING):
        transition(campaign, to, action=f"test.{to}")
    controls.pause(campaign, request=request_by(cast.reviewer))
    controls.cancel(campaign, request=request_by(cast.marketer))
    sent = {d.event: d.payload["data"] for d in Delivery.objects.filter(endpoint=endpoint)}
    assert sent["campaign.paused"]["reason"] == "Paused by rob.reviewer."
    assert sent["campaign.paused"]["actor"] == "rob.reviewer"
    assert sent["campaign.cancelled"]["campaign"]["status"] == "cancelled"
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2  # nothing for the steps not picked


@pytest.mark.django_db
def test_an_import_that_finishes_is_an_event_with_its_counts(cast: Cast) -> None:
    endpoint, _ = register(cast, "http://127.0.0.1:9/hooks", ["audience.import_finished"])
    marketer = Client()
    marketer.force_login(cast.marketer)
    csv_file = SimpleUploadedFile("list.csv", b"target,name\nuser-1,Ann\n,Nobody\nuser-2,Bo\n", "text/csv")
    marketer.post(f"/w/{cast.workspace.pk}/audiences/new/", {"name": "List", "delivery_type": 3, "upload": csv_file})
    job = AudienceImport.objects.get()
    importing.run_import(job.pk)  # what the worker does once the upload commits
    (delivery,) = Delivery.objects.filter(endpoint=endpoint)
    data = delivery.payload["data"]
    assert (data["audience"]["name"], data["import"]["status"]) == ("List", "done")
    assert data["counts"] == {"read": 3, "imported": 2, "rejected": 1}


@pytest.mark.django_db
def test_a_finished_recall_is_an_event_with_its_counts(cast: Cast) -> None:
    endpoint, _ = register(cast, "http://127.0.0.1:9/hooks", ["campaign.recall_done"])
    campaign = make_campaign(cast.workspace, cast.marketer)
    recall = Recall.objects.create(
        campaign=campaign, reason="Wrong price", requested_by=cast.reviewer, status=RecallStatus.RUNNING
    )
    RecallTask.objects.create(recall=recall, task_id="task-1", messages=3, status=RecallTaskStatus.RECALLED)
    recalling.finish(recall)
    recalling.finish(recall)  # a second close changes nothing and announces nothing
    (delivery,) = Delivery.objects.filter(endpoint=endpoint)
    data = delivery.payload["data"]
    assert (data["campaign"]["id"], data["reason"]) == (campaign.pk, "Wrong price")
    assert (data["tasks"], data["recalled"], data["messages_recalled"]) == (1, 1, 3)
