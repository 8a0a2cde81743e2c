from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audit import history
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.reviews.approving import Shown, approve
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(cast: Cast, name: str) -> str:
    return reverse(f"audit:{name}", kwargs={"workspace_id": cast.workspace.pk})


def approved(cast: Cast, name: str = "Spring bonus") -> Campaign:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer, name), request=request_by(cast.marketer))
    return approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))


def test_keyset_pages_walk_every_row_once_newest_first(cast: Cast) -> None:
    rows = [(f"user{n}", {"name": "N", "money": "1"}) for n in range(7)]
    campaign = make_campaign(cast.workspace, cast.marketer, rows=rows)
    qs = history.messages(cast.workspace, {"campaign": campaign.pk})
    seen, before = [], None
    while True:
        result = history.page(qs, "pk", before, size=3)
        seen += [m.seq for m in result.rows]
        if result.next_before is None:
            break
        before = result.next_before
    assert seen == [7, 6, 5, 4, 3, 2, 1]


def test_message_filters_find_by_target_msg_key_state_code_author_and_approver(cast: Cast) -> None:
    campaign = approved(cast)
    other = make_campaign(cast.workspace, cast.reviewer, name="Other author")
    Message.objects.filter(campaign=campaign, seq=2).update(status=MessageStatus.REJECTED, result_code="InvalidTarget")
    ws = cast.workspace
    assert [m.target for m in history.messages(ws, {"target": "userid1025"})] == ["userid1025", "userid1025"]
    assert history.messages(ws, {"msg_key": campaign.msg_key_for(3)}).get().seq == 3
    assert history.messages(ws, {"state": "rejected"}).get().result_code == "InvalidTarget"
    assert history.messages(ws, {"code": "InvalidTarget"}).get().seq == 2
    # Accepted rows' code is left out of the code index; the filter still finds them.
    Message.objects.filter(campaign=campaign, seq=3).update(status=MessageStatus.ACCEPTED, result_code="OK")
    assert history.messages(ws, {"code": "OK"}).get().seq == 3
    assert set(history.messages(ws, {"author": "rob.reviewer"}).values_list("campaign", flat=True)) == {other.pk}
    assert set(history.messages(ws, {"approver": "rob.reviewer"}).values_list("campaign", flat=True)) == {campaign.pk}


def test_an_auditor_sees_campaigns_messages_and_trail_but_never_another_workspace(cast: Cast) -> None:
    approved(cast, "Ours")
    make_campaign(cast.other_workspace, cast.outsider, name="Theirs")
    client = client_for(cast.auditor)
    campaigns = client.get(url(cast, "history")).content.decode()
    assert "Ours" in campaigns and "Theirs" not in campaigns
    messages = client.get(url(cast, "messages")).content.decode()
    assert "userid1024" in messages
    trail = client.get(url(cast, "trail")).content.decode()
    assert "campaign.approved" in trail and "rob.reviewer" in trail


def test_a_bad_filter_is_explained_and_nothing_is_listed(cast: Cast) -> None:
    response = client_for(cast.auditor).get(url(cast, "history"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_htmx_filtering_returns_only_the_results_fragment(cast: Cast) -> None:
    approved(cast)
    response = client_for(cast.auditor).get(url(cast, "messages"), {"target": "userid1026"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert 'id="results"' in text and "<html" not in text and "userid1026" in text and "userid1024" not in text
    assert "HX-Request" in response["Vary"]


def test_auditors_and_admins_can_only_read_history(cast: Cast) -> None:
    for person in (cast.auditor, cast.admin):
        client = client_for(person)
        assert client.get(url(cast, "history")).status_code == 200
        assert client.post(url(cast, "history")).status_code == 405
    assert client_for(cast.marketer).get(url(cast, "history")).status_code == 403
