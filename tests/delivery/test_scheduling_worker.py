"""A real worker registers a fixed-time campaign on the sandbox; it stays cancellable until it fires."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import dispatch, finishing, scheduling
from pushadmin.delivery.models import Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import WORKER_SETTINGS, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def in_three_hours() -> dict[str, str]:
    local = (datetime.now(SHANGHAI) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    return {"type": "fixed", "time_zone": "Asia/Shanghai", "fixed_at": local}


def status_of(campaign) -> str:
    campaign.refresh_from_db()
    return campaign.status


def post_cancel(user, campaign) -> str:
    client = Client()
    client.force_login(user)
    return client.post(
        f"/w/{campaign.workspace_id}/campaigns/{campaign.pk}/sending/cancel/", follow=True
    ).content.decode()


def test_a_worker_registers_a_fixed_time_campaign_that_stays_cancellable_and_is_cancelled_on_mpaas(
    cast, mpaas_sandbox, celery_worker
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=200)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 250, strategy=in_three_hours()), cast.reviewer)

    dispatch.on_approved(campaign.pk)
    assert mpaas_sandbox.stats()["calls"] == 0, "the approving process called mPaaS itself"
    wait_for(lambda: status_of(campaign) == CampaignStatus.SCHEDULED, timeout=30, what="registration on mPaaS")

    assert mpaas_sandbox.stats()["callsByAction"] == {"QueryPushSchedulerList": 1, "PushMultiple": 3}
    assert {m["strategyType"] for m in mpaas_sandbox.messages()} == {1}
    # Several sweeps later it still waits on mPaaS instead of being "sent".
    time.sleep(3 * float(WORKER_SETTINGS["PUSHADMIN_SWEEP_SECONDS"]) + 0.5)
    assert status_of(campaign) == CampaignStatus.SCHEDULED and scheduling.registered_on_mpaas(campaign)
    newcomer = draft_campaign(cast.workspace, cast.marketer, 10, name="Next", strategy=in_three_hours())
    assert scheduling.unexecuted_known_locally(newcomer) == 3 == scheduling.count_unexecuted_on_mpaas(newcomer)

    mpaas_sandbox.faults(error5xx=1.0)
    refused_page = post_cancel(cast.marketer, campaign)
    assert "is still scheduled on mPaaS, not cancelled." in refused_page and "ServiceUnavailable" in refused_page
    assert status_of(campaign) == CampaignStatus.SCHEDULED
    mpaas_sandbox.faults(error5xx=0.0)
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3

    page = post_cancel(cast.marketer, campaign)

    assert "mPaaS cancelled 3 scheduled tasks." in page
    assert status_of(campaign) == CampaignStatus.CANCELLED
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0
    task_ids = set(Message.objects.filter(campaign=campaign).values_list("task_id", flat=True))
    on_sandbox = [m for m in mpaas_sandbox.messages() if m["taskId"] in task_ids]
    assert len(on_sandbox) == 250 and all(m["cancelled"] for m in on_sandbox)
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert sorted(AuditEntry.objects.get(action="campaign.cancelled").detail["mpaas_cancelled"]) == sorted(task_ids)
    assert AuditEntry.objects.filter(action="campaign.cancel_failed").count() == 1
