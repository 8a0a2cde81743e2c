"""The safety nets where approvals, evidence and history see them: fingerprint, cap exception, pack, filters."""

from __future__ import annotations

import io
import zipfile
from datetime import time

import pytest

from pushadmin.audit import evidence
from pushadmin.audit.history import campaigns as campaign_history
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.reviews.fingerprint import compute_fingerprint
from pushadmin.safety import flags
from pushadmin.safety.models import CampaignSafety, Recall, RecallTask, RecallTaskStatus
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, on_screen, request_by, review_url
from tests.safety.people import client_for

pytestmark = pytest.mark.django_db


def test_marking_a_draft_a_service_notice_changes_its_fingerprint_and_is_audited(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    marketing = compute_fingerprint(campaign)
    url = f"/w/{cast.workspace.pk}/campaigns/{campaign.pk}/service-notice/"

    client_for(cast.marketer).post(url, {"service_notice": "on"})

    assert CampaignSafety.objects.get(campaign=campaign).service_notice
    assert compute_fingerprint(campaign) != marketing
    assert AuditEntry.objects.filter(action="campaign.service_notice_set", object_id=str(campaign.pk)).exists()
    client_for(cast.marketer).post(url, {})
    assert compute_fingerprint(campaign) == marketing  # a marketing campaign's fingerprint is as it always was


def test_the_flag_cannot_change_once_the_campaign_left_draft(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))

    with pytest.raises(flags.FlagRefused):
        flags.set_service_notice(campaign, request=request_by(cast.marketer), on=True)
    assert not CampaignSafety.objects.filter(campaign=campaign).exists()


def test_a_reviewer_approves_a_stated_cap_exception_kept_with_the_approval(cast: Cast) -> None:
    cast.workspace.cap_messages = 1
    cast.workspace.save()
    campaign = make_campaign(cast.workspace, cast.marketer)
    target = Message.objects.filter(campaign=campaign).values_list("target", flat=True).first()
    earlier = make_campaign(cast.workspace, cast.marketer, name="Earlier")
    Message.objects.filter(campaign=earlier, target=target).update(status=MessageStatus.ACCEPTED)
    campaign = submit_for_review(campaign, request=request_by(cast.marketer))
    reviewer = client_for(cast.reviewer)

    page = reviewer.get(review_url(campaign)).content.decode()
    assert "data-cap-exception" in page and "data-rows-capped>1" in page

    reviewer.post(review_url(campaign, "approve"), {**on_screen(reviewer, campaign), "cap_exception": "Security alert"})

    campaign.refresh_from_db()
    assert campaign.status in (CampaignStatus.APPROVED, CampaignStatus.SENDING, CampaignStatus.SENT)
    safety = CampaignSafety.objects.get(campaign=campaign)
    assert (safety.cap_exception, safety.cap_exception_by) == ("Security alert", cast.reviewer)
    approved = AuditEntry.objects.get(action="campaign.approved", object_id=str(campaign.pk))
    assert approved.detail["cap_exception"] == "Security alert"


def test_the_evidence_pack_holds_the_safety_facts_and_every_recalled_task(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    CampaignSafety.objects.create(campaign=campaign, service_notice=True)
    recall = Recall.objects.create(campaign=campaign, reason="Wrong price", requested_by=cast.reviewer)
    RecallTask.objects.create(recall=recall, task_id="t-1", messages=2, status=RecallTaskStatus.RECALLED)

    archive = zipfile.ZipFile(io.BytesIO(b"".join(evidence.evidence_pack(campaign, "ada.auditor"))))

    assert '"service_notice": true' in archive.read("campaign.json").decode()
    recalls = archive.read("recalls.csv").decode("utf-8-sig")
    assert '"t-1"' in recalls and '"Wrong price"' in recalls and '"Recalled"' in recalls
    assert "recalls.csv" in archive.read("README.txt").decode()


def test_history_filters_campaigns_by_what_the_safety_nets_did(cast: Cast) -> None:
    recalled = make_campaign(cast.workspace, cast.marketer, name="Recalled")
    Recall.objects.create(campaign=recalled, reason="r", requested_by=cast.reviewer)
    held = make_campaign(cast.workspace, cast.marketer, name="Held")
    Message.objects.filter(campaign=held, seq=1).update(status=MessageStatus.SUPPRESSED)
    make_campaign(cast.workspace, cast.marketer, name="Plain")

    assert [c.name for c in campaign_history(cast.workspace, {"safety": "recalled"})] == ["Recalled"]
    assert [c.name for c in campaign_history(cast.workspace, {"safety": "held_back"})] == ["Held"]
    history = client_for(cast.auditor).get(f"/w/{cast.workspace.pk}/history/?safety=recalled").content.decode()
    assert ">Recalled<" in history and ">Held<" not in history and ">Plain<" not in history


def test_the_review_page_says_whether_the_campaign_waits_out_quiet_hours(cast: Cast) -> None:
    cast.workspace.quiet_hours_start, cast.workspace.quiet_hours_end = time(21), time(8)
    cast.workspace.save()
    marketing = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    notice = make_campaign(cast.workspace, cast.marketer, name="Outage")
    CampaignSafety.objects.create(campaign=notice, service_notice=True)
    notice = submit_for_review(notice, request=request_by(cast.marketer))
    reviewer = client_for(cast.reviewer)

    assert "Marketing: pauses during the workspace's quiet hours (21:00 to 08:00 Asia/Shanghai)" in (
        reviewer.get(review_url(marketing)).content.decode()
    )
    shown = reviewer.get(review_url(notice)).content.decode()
    assert "Service notice</span>: sends through the workspace's quiet hours (21:00 to 08:00" in shown
