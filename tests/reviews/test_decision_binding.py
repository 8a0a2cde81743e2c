"""A decision is bound to the revision on the reviewer's screen, and nobody who shaped the content approves it."""

from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import Membership, Role
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.delivery.models import Message
from pushadmin.reviews.models import Approval, ReviewComment
from tests.personas import Cast, make_user
from tests.reviews.campaign_rows import make_campaign, on_screen, request_by, review_url
from tests.reviews.test_views import client_for

pytestmark = pytest.mark.django_db


def submitted(cast: Cast) -> Campaign:
    return submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))


def edit_row_and_resubmit(cast: Cast, campaign: Campaign) -> Campaign:
    """The marketer changes row 1 behind the reviewer's open page and submits again."""
    campaign.refresh_from_db()
    if campaign.status == CampaignStatus.IN_REVIEW:
        campaign = record_edit(campaign, request=request_by(cast.marketer))
    Message.objects.filter(campaign=campaign, seq=1).update(values={"name": "EVIL-UNREVIEWED-TEXT", "money": "999999"})
    campaign = record_edit(campaign, request=request_by(cast.marketer))
    return submit_for_review(campaign, request=request_by(cast.marketer))


def test_approving_a_revision_that_is_no_longer_current_is_refused_and_records_nothing(cast: Cast) -> None:
    campaign = submitted(cast)
    reviewer = client_for(cast.reviewer)
    stale = on_screen(reviewer, campaign)
    assert stale["revision"] == str(campaign.revision)
    current = edit_row_and_resubmit(cast, campaign)
    entries_before = AuditEntry.objects.count()

    response = reviewer.post(review_url(campaign, "approve"), stale, follow=True)

    assert (
        f"changed since you opened it (you saw revision {stale['revision']}); reload to see revision "
        f"{current.revision}. Nothing was recorded."
    ) in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not Approval.objects.exists()
    assert AuditEntry.objects.count() == entries_before
    assert not AuditEntry.objects.filter(action="campaign.approved").exists()


def test_the_reloaded_page_approves_the_revision_it_shows(cast: Cast) -> None:
    campaign = submitted(cast)
    reviewer = client_for(cast.reviewer)
    on_screen(reviewer, campaign)
    current = edit_row_and_resubmit(cast, campaign)
    page = reviewer.get(review_url(campaign)).content.decode()
    assert "Hello EVIL-UNREVIEWED-TEXT, congratulations on winning 999999 yuan" in page
    reviewer.post(review_url(campaign, "approve"), on_screen(reviewer, campaign))
    approval = Approval.objects.get()
    assert (approval.revision, approval.fingerprint) == (current.revision, current.fingerprint)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED


@pytest.mark.parametrize(
    "posted",
    [
        {},
        {"revision": "1"},
        {"fingerprint": "abc"},
        {"revision": "x", "fingerprint": "abc"},
        {"revision": "²", "fingerprint": "abc"},
    ],
    ids=["nothing", "no fingerprint", "no revision", "revision not a number", "revision a Unicode digit"],
)
def test_a_decision_that_does_not_name_what_it_is_about_is_refused(cast: Cast, posted: dict[str, str]) -> None:
    campaign = submitted(cast)
    response = client_for(cast.reviewer).post(review_url(campaign, "approve"), posted, follow=True)
    assert "does not say which revision" in response.content.decode()
    assert not Approval.objects.exists()


def test_a_fingerprint_other_than_the_submitted_one_is_refused_even_with_the_current_revision(cast: Cast) -> None:
    campaign = submitted(cast)
    posted = {"revision": str(campaign.revision), "fingerprint": "0" * 64}
    response = client_for(cast.reviewer).post(review_url(campaign, "approve"), posted, follow=True)
    assert "changed since you opened it" in response.content.decode()
    assert not Approval.objects.exists()


def test_rejecting_a_revision_that_is_no_longer_current_is_refused(cast: Cast) -> None:
    campaign = submitted(cast)
    reviewer = client_for(cast.reviewer)
    stale = on_screen(reviewer, campaign)
    edit_row_and_resubmit(cast, campaign)
    response = reviewer.post(review_url(campaign, "reject"), {"reason": "Looks wrong", **stale}, follow=True)
    assert "changed since you opened it" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not ReviewComment.objects.exists()


def test_the_second_approver_is_bound_to_the_revision_they_saw(cast: Cast) -> None:
    cast.workspace.required_approvals = 2
    cast.workspace.save()
    second = client_for(make_user("rita.reviewer", cast.workspace, Role.REVIEWER))
    campaign = submitted(cast)
    stale = on_screen(second, campaign)
    edit_row_and_resubmit(cast, campaign)
    first = client_for(cast.reviewer)
    first.post(review_url(campaign, "approve"), on_screen(first, campaign))
    response = second.post(review_url(campaign, "approve"), stale, follow=True)
    assert "changed since you opened it" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert [a.reviewer.username for a in Approval.objects.filter(voided_at=None)] == [cast.reviewer.username]


def dual_role_colleague(cast: Cast) -> tuple[object, Client]:
    """Someone who is marketer and reviewer: they may review what others built from nothing of theirs."""
    person = make_user("max.both", cast.workspace, Role.MARKETER)
    Membership.objects.create(user=person, workspace=cast.workspace, role=Role.REVIEWER)
    return person, client_for(person)


def assert_refused(client: Client, campaign: Campaign, reason: str) -> None:
    page = client.get(review_url(campaign)).content.decode()
    assert reason in page and 'id="approve-button" disabled' in page
    response = client.post(review_url(campaign, "approve"), on_screen(client, campaign), follow=True)
    assert reason in response.content.decode()
    assert not Approval.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW


def test_the_author_of_the_template_cannot_approve_a_campaign_a_colleague_built_from_it(cast: Cast) -> None:
    person, client = dual_role_colleague(cast)
    campaign = make_campaign(cast.workspace, person, name="Seed")  # person writes the template
    campaign.delete()
    campaign = submitted(cast)  # the colleague (marketer) assembles a campaign from it
    assert_refused(client, campaign, "You wrote the template “demo-welcome”")


def test_someone_who_changed_the_templates_text_cannot_approve(cast: Cast) -> None:
    person, client = dual_role_colleague(cast)
    campaign = submitted(cast)
    campaign.template.editors.add(person)
    assert_refused(client, campaign, "You changed the template “demo-welcome”")


def test_whoever_imported_the_audience_rows_cannot_approve(cast: Cast) -> None:
    person, client = dual_role_colleague(cast)
    audience = Audience.objects.create(workspace=cast.workspace, name="VIP", created_by=cast.marketer)
    AudienceImport.objects.create(audience=audience, stored_name="x", status=ImportRunStatus.DONE, created_by=person)
    campaign = make_campaign(cast.workspace, cast.marketer)
    Campaign.objects.filter(pk=campaign.pk).update(audience=audience)
    campaign = submit_for_review(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.marketer))
    assert_refused(client, campaign, "You imported rows into the audience “VIP”")


def test_a_failed_import_does_not_make_its_starter_an_author(cast: Cast) -> None:
    person, client = dual_role_colleague(cast)
    audience = Audience.objects.create(workspace=cast.workspace, name="VIP", created_by=cast.marketer)
    AudienceImport.objects.create(audience=audience, stored_name="x", status=ImportRunStatus.FAILED, created_by=person)
    campaign = make_campaign(cast.workspace, cast.marketer)
    Campaign.objects.filter(pk=campaign.pk).update(audience=audience)
    campaign = submit_for_review(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.marketer))
    client.post(review_url(campaign, "approve"), on_screen(client, campaign))
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED


def test_the_review_page_says_who_may_not_approve_and_why(cast: Cast) -> None:
    person, _ = dual_role_colleague(cast)
    campaign = submitted(cast)
    campaign.template.editors.add(person)
    page = client_for(cast.reviewer).get(review_url(campaign)).content.decode()
    section = page.split("data-excluded-people")[1].split("</details>")[0]
    assert "<strong>mia.marketer</strong>: created this campaign; wrote the template “demo-welcome”" in section
    assert "<strong>max.both</strong>: changed the template “demo-welcome”" in section
    assert "rob.reviewer" not in section


def test_approving_a_page_whose_campaign_was_edited_back_to_draft_says_what_happened(cast: Cast) -> None:
    campaign = submitted(cast)
    reviewer = client_for(cast.reviewer)
    stale = on_screen(reviewer, campaign)
    Message.objects.filter(campaign=campaign, seq=1).update(values={"name": "Edited", "money": "1"})
    edited = record_edit(campaign, request=request_by(cast.marketer))  # back to draft, not resubmitted
    response = reviewer.post(review_url(campaign, "approve"), stale, follow=True)
    assert (
        f"changed since you opened it (you saw revision {stale['revision']}): it is now draft, "
        f"at revision {edited.revision}. Nothing was recorded."
    ) in response.content.decode()
    assert not Approval.objects.exists()
