"""The pages' rules hold through the API: four eyes, approval bound to what was reviewed, and the
forms' own sentences at the path of the field that broke them."""

from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import Membership, Role
from pushadmin.campaigns import workflow
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.reviews.models import Approval
from tests.api.api_client import call, token_for
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def submitted(cast: Cast) -> Campaign:
    campaign = make_campaign(cast.workspace, cast.marketer)
    return workflow.submit_for_review(campaign, request=request_by(cast.marketer))


def test_an_author_who_is_also_a_reviewer_cannot_approve_her_own_campaign(cast: Cast) -> None:
    Membership.objects.create(user=cast.marketer, workspace=cast.workspace, role=Role.REVIEWER)
    campaign = submitted(cast)
    own = token_for(cast.marketer, cast.workspace, Role.REVIEWER)
    answer = call(
        own, "POST", f"/campaigns/{campaign.pk}/approve", {"revision": 1, "fingerprint": campaign.fingerprint}
    )
    assert answer.status_code == 409
    assert "four-eyes review needs someone who shaped none of its content" in answer.json()["detail"]
    assert not Approval.objects.exists()


def test_an_approval_of_a_revision_edited_since_is_refused(cast: Cast) -> None:
    campaign = submitted(cast)
    seen = {"revision": campaign.revision, "fingerprint": campaign.fingerprint}
    workflow.record_edit(campaign, request=request_by(cast.marketer), after={"name": "changed"})
    workflow.submit_for_review(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.marketer))
    reviewer = token_for(cast.reviewer, cast.workspace, Role.REVIEWER)
    answer = call(reviewer, "POST", f"/campaigns/{campaign.pk}/approve", seen)
    assert answer.status_code == 409
    assert "changed since you opened it (you saw revision 1)" in answer.json()["detail"]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW


def test_a_rejection_needs_a_reason_and_sends_the_campaign_back_to_draft(cast: Cast) -> None:
    campaign = submitted(cast)
    reviewer = token_for(cast.reviewer, cast.workspace, Role.REVIEWER)
    seen = {"revision": campaign.revision, "fingerprint": campaign.fingerprint}
    blank = call(reviewer, "POST", f"/campaigns/{campaign.pk}/reject", {**seen, "reason": "  "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    rejected = call(reviewer, "POST", f"/campaigns/{campaign.pk}/reject", {**seen, "reason": "Typo in the title"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "draft"


def test_settings_errors_name_their_field_with_the_forms_sentences(cast: Cast) -> None:
    marketer = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    other_template = make_campaign(cast.other_workspace, cast.outsider).template_id
    body = {
        "name": "Bad",
        "template_id": other_template,
        "strategy": {"type": "fixed", "time_zone": "Mars/Olympus", "fixed_at": "2020-01-01T09:00"},
        "options": {"extended_params": {"badge": "1", "": ""}, "activity_content_state": {"score": 1}},
    }
    answer = call(marketer, "POST", "/campaigns", body)
    assert answer.status_code == 422 and answer["Content-Type"] == "application/problem+json"
    fields = {error["field"]: error["message"] for error in answer.json()["errors"]}
    assert fields["template_id"].startswith("Select a valid choice.")
    assert "strategy.time_zone" in fields
    assert fields["options.activity_content_state"] == "Choose a Live Activity event to send a content state."
    assert not Campaign.objects.filter(workspace=cast.workspace).exists()


def test_unknown_api_paths_answer_a_problem_not_a_page(cast: Cast) -> None:
    answer = Client().get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer["Content-Type"] == "application/problem+json"
