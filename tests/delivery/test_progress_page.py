"""The sending progress page: who sees it, what it shows, and its buttons without JavaScript."""

from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import dispatch, queueing, sending
from pushadmin.delivery.models import Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.personas import TEST_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


@pytest.fixture
def sending_campaign(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 250), cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)
    sending.send_batch(enqueued[0])
    campaign.refresh_from_db()
    return campaign


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(campaign, action: str = "") -> str:
    return f"/w/{campaign.workspace_id}/campaigns/{campaign.pk}/sending/{action + '/' if action else ''}"


def test_every_role_sees_the_progress_bars_with_the_counts(cast, sending_campaign):
    for user in cast.by_role().values():
        page = client_for(user).get(url(sending_campaign)).content.decode()
        assert '<progress id="bar-accepted" class="bar-accepted" max="250" value="100">' in page
        assert '<progress id="bar-remaining" class="bar-remaining" max="250" value="150">' in page
        assert "100 of 250 messages settled (40.0%)" in page
        assert TEST_SECRET not in page


def test_people_outside_the_workspace_get_404(cast, sending_campaign):
    assert client_for(cast.outsider).get(url(sending_campaign)).status_code == 404


def test_auditors_may_watch_but_not_pause(cast, sending_campaign):
    page = client_for(cast.auditor).get(url(sending_campaign)).content.decode()
    assert "Pause" not in page and "Cancel campaign" not in page
    for action in ("pause", "cancel"):
        assert client_for(cast.auditor).post(url(sending_campaign, action)).status_code == 403
    sending_campaign.refresh_from_db()
    assert sending_campaign.status == CampaignStatus.SENDING


def test_a_reviewer_has_the_emergency_stop_but_not_resume(cast, sending_campaign):
    client = client_for(cast.reviewer)
    page = client.get(url(sending_campaign)).content.decode()
    assert ">Pause</button>" in page and ">Cancel campaign</button>" in page
    response = client.post(url(sending_campaign, "pause"), follow=True)
    assert "Paused by rob.reviewer." in response.content.decode()
    assert ">Resume</button>" not in response.content.decode()
    assert client.post(url(sending_campaign, "resume")).status_code == 403
    sending_campaign.refresh_from_db()
    assert sending_campaign.status == CampaignStatus.PAUSED


def test_the_page_polls_while_sending_and_stops_once_the_campaign_ended(cast, sending_campaign, enqueued):
    client = client_for(cast.marketer)
    assert 'hx-trigger="every 2s"' in client.get(url(sending_campaign)).content.decode()
    for batch_id in enqueued[1:]:
        sending.send_batch(batch_id)
    page = client.get(url(sending_campaign)).content.decode()
    assert "Sent" in page and 'hx-trigger="every 2s"' not in page


def test_htmx_polls_get_the_live_fragment_and_the_filtered_table_out_of_band(cast, sending_campaign):
    response = client_for(cast.marketer).get(
        url(sending_campaign), {"status": "accepted", "page": "2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="live"') and "<html" not in body
    assert '<section id="messages" class="card" hx-swap-oob="true">' in body
    assert "Page 2 of 2" in body and "user-000051" in body and "user-000101" not in body
    assert "HX-Request" in response["Vary"]


def test_the_message_table_filters_by_status_and_target(cast, sending_campaign):
    client = client_for(cast.marketer)
    accepted = client.get(url(sending_campaign), {"status": "accepted"}).content.decode()
    assert "100 messages match." in accepted and "user-000101" not in accepted
    one = client.get(url(sending_campaign), {"q": "user-000007"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="messages")
    body = one.content.decode()
    assert body.lstrip().startswith('<section id="messages"') and "1 message matches." in body


def test_pause_and_resume_work_as_plain_form_posts(
    cast, sending_campaign, enqueued, django_capture_on_commit_callbacks
):
    client = client_for(cast.marketer)
    response = client.post(url(sending_campaign, "pause"), follow=True)
    page = response.content.decode()
    assert "is paused" in page and "Paused:" in page and "Paused by mia.marketer." in page
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(sending_campaign, "resume"))
    sending_campaign.refresh_from_db()
    assert sending_campaign.status == CampaignStatus.SENDING and len(enqueued) == 2


def test_a_refused_action_says_why(cast, sending_campaign):
    page = client_for(cast.admin).post(url(sending_campaign, "resume"), follow=True).content.decode()
    assert "cannot become sending" in page


def test_cancel_leaves_no_message_pending(cast, sending_campaign):
    client_for(cast.admin).post(url(sending_campaign, "cancel"))
    assert not Message.objects.filter(campaign=sending_campaign, status=MessageStatus.PENDING).exists()
