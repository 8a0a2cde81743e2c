from __future__ import annotations

from typing import Any

import pytest

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import EditRefused, record_edit, submit_for_review
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_an_edit_bumps_the_revision_remembers_the_editor_and_clears_the_fingerprint(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    campaign = record_edit(campaign, request=request_by(cast.reviewer), before={"x": 1}, after={"x": 2})
    assert campaign.revision == 2 and campaign.fingerprint == "" and campaign.status == CampaignStatus.DRAFT
    assert list(campaign.editors.all()) == [cast.reviewer]


def test_a_draft_edit_stays_a_draft_without_a_voiding_entry(cast: Cast) -> None:
    campaign = record_edit(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    assert campaign.status == CampaignStatus.DRAFT
    assert not AuditEntry.objects.filter(action="campaign.approval_voided").exists()


@pytest.mark.parametrize("state", [CampaignStatus.SENDING, CampaignStatus.SENT, CampaignStatus.CANCELLED])
def test_a_campaign_that_is_sending_or_finished_cannot_be_edited(cast: Cast, state: str) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    Campaign.objects.filter(pk=campaign.pk).update(status=state)
    campaign.refresh_from_db()
    with pytest.raises(EditRefused, match="can no longer be edited"):
        record_edit(campaign, request=request_by(cast.marketer))


def test_submitting_twice_is_refused_the_second_time(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    stale = Campaign.objects.get(pk=campaign.pk)
    submit_for_review(campaign, request=request_by(cast.marketer))
    with pytest.raises(TransitionRefused, match="is now in review"):
        submit_for_review(stale, request=request_by(cast.marketer))
    assert AuditEntry.objects.filter(action="campaign.submitted").count() == 1


def test_the_trail_records_the_state_the_update_replaced(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    stale = Campaign.objects.get(pk=campaign.pk)
    submit_for_review(campaign, request=request_by(cast.marketer))
    transition(stale, CampaignStatus.CANCELLED, action="campaign.cancelled", actor=cast.marketer)
    assert AuditEntry.objects.get(action="campaign.cancelled").before == {"status": "in_review"}
