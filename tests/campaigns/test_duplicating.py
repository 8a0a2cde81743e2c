"""Duplicate a campaign (a new draft with its rows and new MsgKeys) or a template; ended campaigns are read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, MpaasState, Template
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.reviews.approving import Shown, approve
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def marketer(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.marketer)
    return client


def sent(cast: Cast) -> Campaign:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    campaign = transition(campaign, CampaignStatus.SENDING, action="campaign.sending_started")
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.ACCEPTED, request_id="R1")
    return transition(campaign, CampaignStatus.SENT, action="campaign.sent")


def test_a_sent_campaign_duplicates_into_a_draft_with_every_row_and_new_msg_keys(cast: Cast) -> None:
    original = sent(cast)
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": original.pk}
    response = marketer(cast).post(reverse("campaigns:duplicate", kwargs=kwargs), follow=True)
    copy = Campaign.objects.exclude(pk=original.pk).get()
    assert (copy.name, copy.status, copy.revision, copy.rows_expected) == ("Copy of Spring bonus", "draft", 1, 3)
    assert (copy.template_id, copy.options, copy.strategy) == (
        original.template_id,
        original.options,
        original.strategy,
    )
    rows = list(copy.messages.order_by("seq").values_list("seq", "target", "values", "msg_key", "status", "request_id"))
    before = list(original.messages.order_by("seq").values_list("seq", "target", "values"))
    assert [row[:3] for row in rows] == before
    assert [row[3] for row in rows] == [copy.msg_key_for(seq) for seq in (1, 2, 3)]
    assert {row[4] for row in rows} == {MessageStatus.DRAFT} and {row[5] for row in rows} == {""}
    assert "is a new draft with 3 rows" in response.content.decode()
    assert AuditEntry.objects.get(action="campaign.duplicated").detail == {"from_campaign": original.pk, "rows": 3}
    assert copy.created_by == cast.marketer and not copy.approvals.exists()


def test_an_ended_campaign_opens_read_only_with_its_approval(cast: Cast) -> None:
    campaign = sent(cast)
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}
    client = marketer(cast)
    edit = client.get(reverse("campaigns:edit", kwargs=kwargs), follow=True)
    assert edit.redirect_chain[-1][0] == reverse("campaigns:detail", kwargs=kwargs)
    page = edit.content.decode()
    assert "is sent: this page shows it as approved" in page
    assert "As approved" in page and "Approved by" in page and "rob.reviewer" in page
    assert "Pre-flight check" not in page and "Submit for review" not in page


def test_a_template_duplicates_under_a_free_name_not_yet_on_mpaas(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    template = campaign.template
    client = marketer(cast)
    url = reverse(
        "campaigns:template_duplicate", kwargs={"workspace_id": cast.workspace.pk, "template_id": template.pk}
    )
    client.post(url)
    client.post(url)
    names = sorted(Template.objects.values_list("name", flat=True))
    assert names == ["demo-welcome", "demo-welcome-copy", "demo-welcome-copy-2"]
    copy = Template.objects.get(name="demo-welcome-copy")
    assert (copy.title, copy.content) == (template.title, template.content)
    assert copy.mpaas_state == MpaasState.UNCHECKED
