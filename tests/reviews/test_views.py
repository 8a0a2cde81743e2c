from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.accounts.models import Membership, Role
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.reviews.approving import Shown, approve
from pushadmin.reviews.models import Approval, ReviewComment
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, on_screen, request_by, review_url

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submitted(cast: Cast, name: str = "Spring bonus") -> Campaign:
    campaign = make_campaign(cast.workspace, cast.marketer, name=name)
    return submit_for_review(campaign, request=request_by(cast.marketer))


def test_the_queue_lists_campaigns_waiting_for_review_oldest_first(cast: Cast) -> None:
    older, newer = submitted(cast, "Older"), submitted(cast, "Newer")
    make_campaign(cast.workspace, cast.marketer, name="Still a draft")
    submitted_elsewhere = make_campaign(cast.other_workspace, cast.outsider, name="Elsewhere")
    submit_for_review(submitted_elsewhere, request=request_by(cast.outsider))
    page = client_for(cast.reviewer).get(reverse("reviews:queue", kwargs={"workspace_id": cast.workspace.pk}))
    text = page.content.decode()
    assert text.index(older.name) < text.index(newer.name)
    assert "Still a draft" not in text and "Elsewhere" not in text


def test_the_review_page_shows_rendered_samples_audience_options_and_schedule(cast: Cast) -> None:
    page = client_for(cast.reviewer).get(review_url(submitted(cast)))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Hello Zhang San, congratulations on winning 200 yuan" in text  # first row
    assert "Hello Wang Wu, congratulations on winning 1000 yuan" in text  # last row
    assert "data-message-count>3<" in text
    assert "1 hour" in text and "ExpiredSeconds=3600" in text
    assert "immediately" in text
    assert "first review" in text


def test_rows_with_a_warning_are_shown_first(cast: Cast) -> None:
    rows = [("u1", {"name": "A", "money": "1"}), ("u2", {"name": "B"}), ("u3", {"name": "C", "money": "3"})]
    campaign = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, rows=rows), request=request_by(cast.marketer)
    )
    text = client_for(cast.reviewer).get(review_url(campaign)).content.decode()
    assert text.index("No value for #money#") < text.index("First row")


def test_a_reviewer_approves_from_the_page(cast: Cast) -> None:
    campaign = submitted(cast)
    client = client_for(cast.reviewer)
    response = client.post(review_url(campaign, "approve"), on_screen(client, campaign))
    assert response.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED


def test_the_author_sees_why_they_cannot_approve_and_a_forced_post_is_refused(cast: Cast) -> None:
    Membership.objects.create(user=cast.marketer, workspace=cast.workspace, role=Role.REVIEWER)
    campaign = submitted(cast)
    client = client_for(cast.marketer)
    text = client.get(review_url(campaign)).content.decode()
    assert "You created this campaign" in text and 'id="approve-button" disabled' in text
    response = client.post(review_url(campaign, "approve"), on_screen(client, campaign), follow=True)
    assert "You created this campaign" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not Approval.objects.exists()


def test_marketers_and_auditors_cannot_post_decisions(cast: Cast) -> None:
    campaign = submitted(cast)
    for person in (cast.marketer, cast.auditor):
        for action in ("approve", "reject"):
            assert client_for(person).post(review_url(campaign, action), {"reason": "x"}).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW


def test_rejecting_without_a_reason_explains_and_changes_nothing(cast: Cast) -> None:
    campaign = submitted(cast)
    response = client_for(cast.reviewer).post(review_url(campaign, "reject"), {"reason": ""})
    assert response.status_code == 400 and "Say why you reject it" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not ReviewComment.objects.exists()


def test_rejecting_with_a_reason_returns_to_draft_and_shows_the_reason(cast: Cast) -> None:
    campaign = submitted(cast)
    client = client_for(cast.reviewer)
    client.post(review_url(campaign, "reject"), {"reason": "Wrong amounts", **on_screen(client, campaign)})
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    assert "Wrong amounts" in client_for(cast.marketer).get(review_url(campaign)).content.decode()


def test_a_comment_posted_with_htmx_returns_only_the_comments_fragment(cast: Cast) -> None:
    campaign = submitted(cast)
    response = client_for(cast.reviewer).post(
        review_url(campaign, "comment"), {"body": "<b>Is 1000 right?</b>"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert "&lt;b&gt;Is 1000 right?&lt;/b&gt;" in text and "<html" not in text


def test_the_diff_shows_what_changed_since_the_last_approved_revision(cast: Cast) -> None:
    campaign = submitted(cast)
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    Template.objects.filter(pk=campaign.template_id).update(content="Hello #name#, you won #money# yuan today")
    campaign = record_edit(campaign, request=request_by(cast.marketer))
    campaign = submit_for_review(campaign, request=request_by(cast.marketer))
    text = client_for(cast.reviewer).get(review_url(campaign)).content.decode()
    assert "Compared with revision 1" in text
    assert "<del>congratulations on winning</del>" in text and "<ins>you won</ins>" in text
