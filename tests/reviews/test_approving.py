from __future__ import annotations

import pytest

from pushadmin.accounts.models import Membership, Role
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.delivery.models import Message
from pushadmin.reviews.approving import ReviewRefused, Shown, add_comment, approve, reject
from pushadmin.reviews.fingerprint import compute_fingerprint
from pushadmin.reviews.models import Approval, CommentKind
from tests.personas import Cast, make_user
from tests.reviews.campaign_rows import make_campaign, request_by


def approve_as_shown(campaign: Campaign, reviewer: object) -> Campaign:
    """Approve with the revision and fingerprint the review page showed for `campaign`."""
    return approve(campaign, request=request_by(reviewer), shown=Shown.of(campaign))


def reject_as_shown(campaign: Campaign, reviewer: object, reason: str) -> Campaign:
    return reject(campaign, request=request_by(reviewer), reason=reason, shown=Shown.of(campaign))


pytestmark = pytest.mark.django_db


def submitted(cast: Cast) -> Campaign:
    return submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))


def test_submitting_binds_the_campaign_to_the_fingerprint_of_what_it_will_send(cast: Cast) -> None:
    campaign = submitted(cast)
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert campaign.fingerprint == compute_fingerprint(campaign) and len(campaign.fingerprint) == 64
    entry = AuditEntry.objects.get(action="campaign.submitted")
    assert entry.detail["fingerprint"] == campaign.fingerprint and entry.actor == cast.marketer


def test_a_reviewer_approves_and_the_approval_names_revision_and_fingerprint(cast: Cast) -> None:
    campaign = approve_as_shown(submitted(cast), cast.reviewer)
    assert campaign.status == CampaignStatus.APPROVED and campaign.approved_at is not None
    approval = Approval.objects.get(campaign=campaign)
    assert (approval.reviewer, approval.revision, approval.fingerprint) == (
        cast.reviewer,
        campaign.revision,
        campaign.fingerprint,
    )
    assert approval.snapshot["template"]["content"].startswith("Hello #name#")
    assert approval.snapshot["message_count"] == 3
    entry = AuditEntry.objects.get(action="campaign.approved")
    assert entry.actor == cast.reviewer and entry.ip == "203.0.113.7"
    assert entry.detail["fingerprint"] == campaign.fingerprint and entry.after == {"status": "approved"}


def test_the_author_can_never_approve_their_own_campaign_even_holding_the_reviewer_role(cast: Cast) -> None:
    Membership.objects.create(user=cast.marketer, workspace=cast.workspace, role=Role.REVIEWER)
    campaign = submitted(cast)
    with pytest.raises(ReviewRefused, match="You created this campaign"):
        approve_as_shown(campaign, cast.marketer)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not Approval.objects.exists() and not AuditEntry.objects.filter(action="campaign.approved").exists()


def test_a_reviewer_who_edited_the_campaign_cannot_approve_it(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    record_edit(campaign, request=request_by(cast.reviewer), before={"name": "a"}, after={"name": "b"})
    campaign = submit_for_review(campaign, request=request_by(cast.marketer))
    with pytest.raises(ReviewRefused, match="You edited this campaign"):
        approve_as_shown(campaign, cast.reviewer)


def test_people_without_the_reviewer_role_cannot_approve(cast: Cast) -> None:
    campaign = submitted(cast)
    for person in (cast.auditor, cast.admin, cast.outsider):
        with pytest.raises(ReviewRefused, match="Only reviewers"):
            approve_as_shown(campaign, person)


def test_a_row_changed_behind_the_reviews_back_is_caught_and_sends_the_campaign_back_to_draft(cast: Cast) -> None:
    campaign = submitted(cast)
    Message.objects.filter(campaign=campaign, seq=2).update(values={"name": "Li Si", "money": "88888"})
    with pytest.raises(ReviewRefused, match="changed after it was submitted"):
        approve_as_shown(campaign, cast.reviewer)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and not Approval.objects.filter(voided_at=None).exists()
    voided = AuditEntry.objects.get(action="campaign.approval_voided")
    assert voided.detail["submitted_fingerprint"] != voided.detail["current_fingerprint"]


def test_an_edit_after_approval_voids_it_returns_to_draft_and_is_in_the_trail(cast: Cast) -> None:
    campaign = approve_as_shown(submitted(cast), cast.reviewer)
    campaign = record_edit(campaign, request=request_by(cast.marketer), before={"title": "a"}, after={"title": "b"})
    assert campaign.status == CampaignStatus.DRAFT and campaign.fingerprint == ""
    approval = Approval.objects.get(campaign=campaign)
    assert approval.voided_at is not None and approval.void_reason == "edited after submission"
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["campaign.edited", "campaign.approval_voided"]
    assert AuditEntry.objects.get(action="campaign.approval_voided").detail["approvals_voided"] == 1


def test_a_workspace_may_require_two_distinct_reviewers(cast: Cast) -> None:
    cast.workspace.required_approvals = 2
    cast.workspace.save()
    second = make_user("rita.reviewer", cast.workspace, Role.REVIEWER)
    campaign = approve_as_shown(submitted(cast), cast.reviewer)
    assert campaign.status == CampaignStatus.IN_REVIEW
    with pytest.raises(ReviewRefused, match="second, different reviewer"):
        approve_as_shown(campaign, cast.reviewer)
    campaign = approve_as_shown(campaign, second)
    assert campaign.status == CampaignStatus.APPROVED
    assert AuditEntry.objects.get(action="campaign.approved").detail["approvers"] == ["rob.reviewer", "rita.reviewer"]
    assert AuditEntry.objects.filter(action="campaign.approval_given").count() == 1


def test_rejection_needs_a_reason_and_returns_the_campaign_to_draft(cast: Cast) -> None:
    campaign = submitted(cast)
    with pytest.raises(ReviewRefused, match="Say why"):
        reject_as_shown(campaign, cast.reviewer, "   ")
    campaign = reject_as_shown(campaign, cast.reviewer, "Amounts look wrong")
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.review_comments.get().kind == CommentKind.REJECTION
    assert AuditEntry.objects.get(action="campaign.rejected").detail["reason"] == "Amounts look wrong"


def test_approving_a_campaign_that_is_no_longer_in_review_is_refused_clearly(cast: Cast) -> None:
    campaign = submitted(cast)
    reject_as_shown(campaign, cast.reviewer, "No")
    with pytest.raises(ReviewRefused, match="is draft; only campaigns in review can be approved"):
        approve_as_shown(campaign, cast.reviewer)


def test_comments_are_kept_with_the_revision_and_recorded_in_the_trail(cast: Cast) -> None:
    campaign = submitted(cast)
    comment = add_comment(campaign, request=request_by(cast.reviewer), body="Is 1000 yuan right?")
    assert comment.revision == campaign.revision
    assert AuditEntry.objects.get(action="campaign.commented").detail["body"] == "Is 1000 yuan right?"
