from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def campaigns(cast: Cast, *statuses: str) -> None:
    template = Template.objects.create(
        workspace=cast.workspace, name="t", title="Hi", content="Hello #name#", created_by=cast.marketer
    )
    for n, status in enumerate(statuses):
        Campaign.objects.create(
            workspace=cast.workspace,
            name=f"<b>Campaign {n}</b>",
            template=template,
            created_by=cast.marketer,
            status=status,
        )


def dashboard(cast: Cast, user: object) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/w/{cast.workspace.pk}/").content.decode()


def test_a_reviewer_is_told_how_many_campaigns_wait_for_review(cast: Cast) -> None:
    campaigns(cast, CampaignStatus.IN_REVIEW, CampaignStatus.IN_REVIEW, CampaignStatus.SENT)
    page = dashboard(cast, cast.reviewer)
    assert "2 campaigns need you." in page
    assert "&lt;b&gt;Campaign 0&lt;/b&gt;" in page and "<b>Campaign 0</b>" not in page


def test_a_marketer_is_pointed_at_drafts_not_at_the_review_queue(cast: Cast) -> None:
    campaigns(cast, CampaignStatus.IN_REVIEW, CampaignStatus.DRAFT)
    assert "1 campaign needs you." in dashboard(cast, cast.marketer)


def test_an_empty_workspace_invites_the_marketer_to_start(cast: Cast) -> None:
    assert "No campaigns yet." in dashboard(cast, cast.marketer)
    assert "new campaign" in dashboard(cast, cast.marketer)
    assert "new campaign" not in dashboard(cast, cast.auditor)


def test_campaigns_of_another_workspace_are_not_counted(cast: Cast) -> None:
    campaigns(cast, CampaignStatus.IN_REVIEW)
    client = Client()
    client.force_login(cast.outsider)
    assert "No campaigns yet." in client.get(f"/w/{cast.other_workspace.pk}/").content.decode()
