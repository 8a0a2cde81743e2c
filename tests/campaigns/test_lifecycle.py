from __future__ import annotations

import pytest

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def draft_campaign(cast: Cast) -> Campaign:
    template, _ = Template.objects.get_or_create(
        workspace=cast.workspace,
        name="t",
        defaults={"title": "Hi", "content": "Hello #name#", "created_by": cast.marketer},
    )
    return Campaign.objects.create(workspace=cast.workspace, name="Spring", template=template, created_by=cast.marketer)


def test_a_listed_transition_updates_the_state_stamps_the_time_and_is_audited(cast: Cast) -> None:
    campaign = transition(
        draft_campaign(cast), CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=cast.marketer
    )
    assert campaign.status == CampaignStatus.IN_REVIEW and campaign.submitted_at is not None
    entry = AuditEntry.objects.get(action="campaign.submitted")
    assert entry.before == {"status": "draft"} and entry.after == {"status": "in_review"}


def test_a_stale_second_click_is_refused_with_the_current_state(cast: Cast) -> None:
    campaign = draft_campaign(cast)
    stale_copy = Campaign.objects.get(pk=campaign.pk)
    transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted")
    transition(campaign, CampaignStatus.APPROVED, action="campaign.approved")
    with pytest.raises(TransitionRefused, match="is now approved"):
        transition(stale_copy, CampaignStatus.DRAFT, action="campaign.rejected", expected=[CampaignStatus.IN_REVIEW])
    assert AuditEntry.objects.filter(action="campaign.rejected").count() == 0


def test_transitions_that_do_not_exist_are_refused(cast: Cast) -> None:
    with pytest.raises(ValueError, match="No transition"):
        transition(draft_campaign(cast), CampaignStatus.SENT, action="x", expected=[CampaignStatus.DRAFT])
    with pytest.raises(TransitionRefused):
        transition(draft_campaign(cast), CampaignStatus.SENT, action="x")
