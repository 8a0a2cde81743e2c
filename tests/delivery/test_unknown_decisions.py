"""Unknown outcomes get a decision: a reviewer or an admin resends them with the same MsgKeys or leaves them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery.models import Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.delivery.test_sending_faults import send_and_wait
from tests.fixtures.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(campaign: Campaign, name: str) -> str:
    return reverse(f"delivery:{name}", kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})


def ended_with_unknowns(cast, mpaas_sandbox) -> tuple[Campaign, dict[int, str]]:
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    mpaas_sandbox.faults(dropAfterAccept=0.3, seed=1)  # seeded: the first accepted call's reply is dropped
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 800), cast.reviewer)
    assert send_and_wait(campaign, timeout=60) == CampaignStatus.PARTLY_SENT
    mpaas_sandbox.faults(dropAfterAccept=0.0)
    unknown = dict(
        Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN).values_list("seq", "msg_key")
    )
    assert unknown
    return Campaign.objects.get(pk=campaign.pk), unknown


def test_the_progress_page_asks_for_a_decision_and_the_page_lists_the_rows(cast, mpaas_sandbox, celery_worker):
    campaign, unknown = ended_with_unknowns(cast, mpaas_sandbox)
    progress = client_for(cast.marketer).get(url(campaign, "progress")).content.decode()
    assert f"{len(unknown)} messages have an unknown outcome." in progress
    page = client_for(cast.reviewer).get(url(campaign, "unknown")).content.decode()
    assert f"<span data-undecided>{len(unknown)}</span> without a decision" in page
    assert unknown[min(unknown)] in page and 'name="decision" value="resend"' in page
    marketer_page = client_for(cast.marketer).get(url(campaign, "unknown")).content.decode()
    assert "Reviewers and admins decide" in marketer_page and 'name="decision"' not in marketer_page
    assert client_for(cast.marketer).post(url(campaign, "decide_unknown"), {"decision": "leave"}).status_code == 403


def test_resending_every_unknown_message_keeps_its_msg_key_and_settles_the_campaign(cast, mpaas_sandbox, celery_worker):
    campaign, unknown = ended_with_unknowns(cast, mpaas_sandbox)
    response = client_for(cast.reviewer).post(
        url(campaign, "decide_unknown"),
        {"scope": "all", "decision": "resend", "reason": "mPaaS support: the calls at 10:42 were lost"},
    )
    assert response.status_code == 302
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT, timeout=60, what="the end")

    resent = dict(Message.objects.filter(campaign=campaign, seq__in=unknown).values_list("seq", "msg_key"))
    assert resent == unknown  # the same MsgKeys
    assert not Message.objects.filter(campaign=campaign).exclude(status=MessageStatus.ACCEPTED).exists()
    # The dropped replies had been applied: the same MsgKeys arrive a second time, as the choice said.
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == len(unknown)
    entry = AuditEntry.objects.get(action="delivery.unknown_resent")
    assert entry.detail["messages"] == len(unknown)
    assert entry.detail["reason"] == "mPaaS support: the calls at 10:42 were lost"
    assert entry.actor_label == cast.reviewer.username


def test_leaving_chosen_rows_as_unknown_records_who_and_why_and_sends_nothing(cast, mpaas_sandbox, celery_worker):
    campaign, unknown = ended_with_unknowns(cast, mpaas_sandbox)
    chosen = sorted(unknown)[:3]
    calls = mpaas_sandbox.stats()["calls"]
    client_for(cast.admin).post(
        url(campaign, "decide_unknown"),
        {"scope": "selected", "seq": [str(s) for s in chosen], "decision": "leave", "reason": "Delivered per logs"},
    )
    left = Message.objects.filter(campaign=campaign, seq__in=chosen)
    assert set(left.values_list("status", flat=True)) == {MessageStatus.UNKNOWN}
    assert {m.result_message for m in left} == {f"Left as unknown by {cast.admin.username}: Delivered per logs"}
    page = client_for(cast.reviewer).get(url(campaign, "unknown")).content.decode()
    assert f"<span data-undecided>{len(unknown) - 3}</span> without a decision" in page
    assert mpaas_sandbox.stats()["calls"] == calls
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PARTLY_SENT
    entry = AuditEntry.objects.get(action="delivery.unknown_left")
    assert chosen == list(range(chosen[0], chosen[0] + 3))  # a dropped call's rows are consecutive
    assert entry.detail == {"messages": 3, "rows": f"{chosen[0]}-{chosen[2]}", "reason": "Delivered per logs"}


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"scope": "all", "decision": "leave", "reason": "  "}, "Say why"),
        ({"scope": "all", "decision": "maybe", "reason": "x"}, "Choose to send them again"),
        ({"scope": "selected", "decision": "leave", "reason": "x", "seq": ["²"]}, "Tick the messages"),
        ({"scope": "selected", "decision": "leave", "reason": "x"}, "Tick the messages"),
    ],
)
def test_an_incomplete_decision_is_refused_with_the_reason(cast, mpaas_sandbox, celery_worker, posted, message):
    campaign, unknown = ended_with_unknowns(cast, mpaas_sandbox)
    response = client_for(cast.reviewer).post(url(campaign, "decide_unknown"), posted, follow=True)
    assert message in response.content.decode()
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN).count() == len(unknown)
    assert not AuditEntry.objects.filter(action__startswith="delivery.unknown_").exists()
