"""A real worker against the sandbox: suppressed and capped targets never reach mPaaS."""

from __future__ import annotations

from typing import Any

import pytest

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.delivery.progress import campaign_progress
from pushadmin.safety.models import CampaignSafety, Suppression, SuppressionReason
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def finished(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status in (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED)


def targets_at_sandbox(sandbox: Any, campaign: Campaign) -> set[str]:
    keys = set(Message.objects.filter(campaign=campaign).values_list("msg_key", flat=True))
    return {m["target"] for m in sandbox.messages() if m["msgKey"] in keys}


def suppress(cast: Any, *targets: str) -> None:
    Suppression.objects.bulk_create(
        Suppression(workspace=cast.workspace, target=t, reason=SuppressionReason.OPTED_OUT) for t in targets
    )


def test_targets_suppressed_before_and_after_approval_are_never_sent(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    campaign = draft_campaign(cast.workspace, cast.marketer, 2600)  # past the first cut of 2,000 rows
    suppress(cast, "user-000005")
    campaign = approve(campaign, cast.reviewer)
    # Added once the campaign was approved, before any of its batches was cut: the first slice and a later one.
    late = ["user-000100", "user-001999", "user-002001", "user-002600"]
    suppress(cast, *late)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: finished(campaign), timeout=60, what="the campaign to finish")

    held = {"user-000005", *late}
    assert campaign.status == CampaignStatus.SENT
    sent = targets_at_sandbox(mpaas_sandbox, campaign)
    assert len(sent) == 2600 - 5 and not held & sent
    rows = Message.objects.filter(campaign=campaign)
    assert set(rows.filter(status=MessageStatus.SUPPRESSED).values_list("target", flat=True)) == held
    assert rows.filter(status=MessageStatus.ACCEPTED).count() == 2595
    progress = {bar.label: bar.count for bar in campaign_progress(campaign).bars}
    assert progress["Suppressed"] == 5 and progress["Accepted"] == 2595 and progress["Remaining"] == 0
    audited = AuditEntry.objects.filter(action="delivery.rows_held_back", object_id=str(campaign.pk))
    assert sum(entry.detail["suppressed"] for entry in audited) == 5


def test_the_frequency_cap_holds_back_targets_other_campaigns_reached_and_an_exception_lets_them_through(
    cast, mpaas_sandbox, celery_worker
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    earlier = approve(draft_campaign(cast.workspace, cast.marketer, 150, name="Earlier"), cast.reviewer)
    dispatch.on_approved(earlier.pk)
    wait_for(lambda: finished(earlier), timeout=60, what="the earlier campaign to finish")
    point_at(cast.workspace, mpaas_sandbox.url, cap_messages=1, cap_period="24h")

    capped = approve(draft_campaign(cast.workspace, cast.marketer, 400, name="Capped"), cast.reviewer)
    dispatch.on_approved(capped.pk)
    wait_for(lambda: finished(capped), timeout=60, what="the capped campaign to finish")

    reached_before = {f"user-{seq:06d}" for seq in range(1, 151)}
    assert not reached_before & targets_at_sandbox(mpaas_sandbox, capped)
    rows = Message.objects.filter(campaign=capped)
    assert set(rows.filter(status=MessageStatus.CAPPED).values_list("target", flat=True)) == reached_before
    assert rows.filter(status=MessageStatus.ACCEPTED).count() == 250
    assert capped.status == CampaignStatus.SENT

    excepted = draft_campaign(cast.workspace, cast.marketer, 100, name="Recall notice")
    CampaignSafety.objects.create(
        campaign=excepted, cap_exception="Safety recall of a product", cap_exception_by=cast.reviewer
    )
    CampaignSafety.objects.filter(campaign=excepted).update(cap_exception_at=excepted.created_at)
    excepted = approve(excepted, cast.reviewer)
    dispatch.on_approved(excepted.pk)
    wait_for(lambda: finished(excepted), timeout=60, what="the excepted campaign to finish")

    assert len(targets_at_sandbox(mpaas_sandbox, excepted)) == 100
    assert not Message.objects.filter(campaign=excepted, status=MessageStatus.CAPPED).exists()
