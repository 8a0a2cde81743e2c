"""A real worker process sends approved campaigns to the sandbox over HTTP."""

from __future__ import annotations

import pytest

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import CampaignStatus, MissingDataPolicy
from pushadmin.delivery import controls, dispatch
from pushadmin.delivery.models import Attempt, Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def finished(campaign):
    campaign.refresh_from_db()
    return campaign.status in (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED)


def test_an_approved_campaign_is_sent_in_batches_of_100_and_every_message_accepted(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=200)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 250), cast.reviewer)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: finished(campaign), timeout=30, what="the campaign to finish")

    assert campaign.status == CampaignStatus.SENT
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status=MessageStatus.ACCEPTED).count() == 250
    assert not messages.filter(request_id="").exists() and not messages.filter(task_id="").exists()
    assert Attempt.objects.filter(campaign=campaign).count() == 3
    stored = mpaas_sandbox.messages()
    assert sorted(m["msgKey"] for m in stored) == sorted(messages.values_list("msg_key", flat=True))
    assert stored[0]["content"].startswith("Hello Customer")
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0
    entries = AuditEntry.objects.filter(action="delivery.batches_sent")
    audited = [b for entry in entries for b in entry.detail["batches"]]
    assert sorted(b["batch"] for b in audited) == [1, 2, 3]
    assert {b["outcome"] for b in audited} == {"accepted"} and sum(b["messages"] for b in audited) == 250


def test_under_the_skip_policy_overlong_rows_are_skipped_and_every_other_message_is_accepted(
    cast, mpaas_sandbox, celery_worker
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=200)
    campaign = draft_campaign(cast.workspace, cast.marketer, 1000, missing_policy=MissingDataPolicy.SKIP)
    overlong = {"name": "N" * 4100, "money": "1"}  # past the sandbox's 4,000 characters: 3043 for its whole call
    Message.objects.filter(campaign=campaign, seq__in=[17, 500, 999]).update(values=overlong)
    campaign = approve(campaign, cast.reviewer)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: finished(campaign), timeout=60, what="the campaign to finish")

    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status=MessageStatus.ACCEPTED).count() == 997
    skipped = messages.filter(status=MessageStatus.SKIPPED)
    assert sorted(skipped.values_list("seq", flat=True)) == [17, 500, 999]
    assert skipped.first().result_message.startswith("Skipped: too long: the text has 4,1")
    assert not messages.filter(status=MessageStatus.REJECTED).exists()
    assert len(mpaas_sandbox.messages()) == 997 and mpaas_sandbox.stats()["duplicateMsgKeys"] == 0


def test_three_overlong_rows_do_not_sink_their_calls_good_rows(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    campaign = draft_campaign(cast.workspace, cast.marketer, 1000)  # block policy: only the sandbox refuses them
    overlong = {"name": "N" * 4100, "money": "1"}  # past the sandbox's 4,000 characters: 3043 for the whole call
    Message.objects.filter(campaign=campaign, seq__in=[17, 500, 999]).update(values=overlong)
    campaign = approve(campaign, cast.reviewer)

    dispatch.on_approved(campaign.pk)
    wait_for(lambda: finished(campaign), timeout=60, what="the campaign to finish")

    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status=MessageStatus.ACCEPTED).count() == 997
    rejected = messages.filter(status=MessageStatus.REJECTED)
    assert sorted(rejected.values_list("seq", "result_code")) == [(17, "3043"), (500, "3043"), (999, "3043")]
    assert rejected.first().result_message.startswith("Refused for this row's own content: ")
    stored = mpaas_sandbox.messages()
    assert len(stored) == 997 and len({m["msgKey"] for m in stored}) == 997
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0
    assert campaign.status == CampaignStatus.PARTLY_SENT
    assert controls.resendable(campaign) == 0 and controls.refused_for_own_content(campaign) == 3
    # Every call is on record: the 10 batches' first calls and the halves that found the culprits.
    assert Attempt.objects.filter(campaign=campaign).count() == mpaas_sandbox.stats()["callsByAction"]["PushMultiple"]
