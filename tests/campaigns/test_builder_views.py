from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audiences.models import Audience, AudienceMember
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Message, MessageStatus
from tests.campaigns.composing import make_campaign, make_template
from tests.personas import TEST_SECRET, Cast
from tests.reviews.campaign_rows import request_by

pytestmark = pytest.mark.django_db

GOOD = {"name": "Zhang San", "money": "200"}
XSS = '<script>alert("x")</script>'


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, campaign: Campaign | None = None, workspace_id: int | None = None) -> str:
    kwargs: dict[str, Any] = {"workspace_id": workspace_id or (campaign.workspace_id if campaign else None)}
    if campaign is not None:
        kwargs["campaign_id"] = campaign.pk
    return reverse(f"campaigns:{name}", kwargs=kwargs)


def settings_post(template_id: int, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "Spring promo",
        "template": template_id,
        "delivery_type": 3,
        "audience": "",
        "missing_policy": "block",
        "opt-expiry_value": 2,
        "opt-expiry_unit": "hours",
        "s-type": "immediate",
        "s-time_zone": "Asia/Shanghai",
    }
    data.update(changes)
    return data


def make_audience(cast: Cast, count: int) -> Audience:
    audience = Audience.objects.create(
        workspace=cast.workspace, name="Winners", delivery_type=3, member_count=count, created_by=cast.marketer
    )
    AudienceMember.objects.bulk_create(
        AudienceMember(audience=audience, line_number=i + 2, target=f"user{i}", values=GOOD) for i in range(count)
    )
    return audience


def test_creating_a_campaign_from_an_audience_gives_each_member_a_draft_row_with_its_msgkey(cast: Cast) -> None:
    template = make_template(cast)
    audience = make_audience(cast, 3)
    response = client_for(cast.marketer).post(
        url("create", workspace_id=cast.workspace.pk), settings_post(template.pk, audience=audience.pk)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert campaign.options == {"expired_seconds": 7200}
    rows = list(campaign.messages.order_by("seq").values_list("seq", "target", "msg_key", "status"))
    assert rows == [(i + 1, f"user{i}", campaign.msg_key_for(i + 1), MessageStatus.DRAFT) for i in range(3)]
    assert AuditEntry.objects.filter(action="campaign.created").exists()


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"s-type": "loop", "s-circle": "daily", "s-time": ""}, "s-time"),
        ({"name": ""}, "name"),
        ({"opt-expiry_value": "zero"}, "opt-expiry_value"),
        ({"missing_policy": "fallback", "fallback_money": "x" * 1001}, "fallback_money"),
    ],
)
def test_a_new_campaign_with_a_bad_field_comes_back_with_the_error_and_what_was_typed(
    cast: Cast, changes: dict[str, Any], field_error: str
) -> None:
    template = make_template(cast)
    data = settings_post(template.pk, name="Autumn 双十一 promo", **{"fallback_name": "friend"})
    data.update(changes)
    response = client_for(cast.marketer).post(url("create", workspace_id=cast.workspace.pk), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'<div class="field has-error">\s*<label for="id_{field_error}"', page), field_error
    assert 'value="friend"' in page  # the fallback typed for #name# is kept
    if changes.get("name") != "":
        assert "Autumn 双十一 promo" in page
    assert not Campaign.objects.exists()


def test_builder_shows_rows_rendered_with_problem_count_and_calls(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", {"name": "Li"}), ("u3", GOOD)])
    html = client_for(cast.marketer).get(url("edit", campaign)).content.decode()
    assert "Hello Zhang San, congratulations on winning 200 yuan" in html
    assert 'id="problem-count">1<' in html
    assert "No value for #money#." in html
    assert "<strong>1</strong> PushMultiple call" in html


def test_row_preview_renders_what_is_typed_without_saving(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    response = client_for(cast.marketer).post(
        url("row_preview", campaign),
        {"row": "1", "row-1-target": "u1", "row-1-v-name": "Wang Wu", "row-1-v-money": "", "row-1-ext": ""},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.strip().startswith('<td id="out-1"')
    assert "Hello Wang Wu, congratulations on winning #money# yuan" in html
    assert "No value for #money#." in html
    assert Message.objects.get().values == GOOD


def test_saving_rows_of_a_campaign_in_review_reloads_the_builder_saying_it_left_review(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast, [("u1", GOOD)]), request=request_by(cast.marketer))
    data = {"rows": ["1"], "row-1-target": "u1", "row-1-v-name": "Changed", "row-1-v-money": "5", "row-1-ext": ""}
    marketer = client_for(cast.marketer)
    response = marketer.post(url("rows", campaign), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == url("edit", campaign)
    page = marketer.get(url("edit", campaign)).content.decode()
    assert "was in review and is a draft again (revision 2)" in page
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_saving_rows_edits_adds_and_removes_and_voids_nothing_silently(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", GOOD)])
    data = {
        "rows": ["1", "2", "new-0"],
        "row-1-target": "u1",
        "row-1-v-name": "Changed",
        "row-1-v-money": "5",
        "row-1-ext": '{"k": "v"}',
        "row-2-target": "u2",
        "row-2-v-name": "x",
        "row-2-v-money": "1",
        "row-2-remove": "1",
        "row-new-0-target": "u9",
        "row-new-0-v-name": "New",
        "row-new-0-v-money": "9",
        "row-new-0-ext": "",
    }
    response = client_for(cast.marketer).post(url("rows", campaign), data)
    assert response.status_code == 302
    rows = list(
        Message.objects.filter(campaign=campaign)
        .order_by("seq")
        .values_list("seq", "target", "values", "extended_params")
    )
    assert rows == [
        (1, "u1", {"name": "Changed", "money": "5"}, {"k": "v"}),
        (3, "u9", {"name": "New", "money": "9"}, None),
    ]
    campaign.refresh_from_db()
    assert campaign.revision == 2
    assert AuditEntry.objects.filter(action="campaign.edited").exists()


def test_a_bad_row_refuses_the_whole_save_with_the_row_and_reason(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", GOOD)])
    data = {
        "rows": ["1", "2"],
        "row-1-target": "u1",
        "row-1-v-name": "Changed",
        "row-1-v-money": "5",
        "row-2-target": "u2",
        "row-2-v-name": "x",
        "row-2-v-money": "1",
        "row-2-ext": "{oops",
    }
    response = client_for(cast.marketer).post(url("rows", campaign), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was saved: 1 row needs fixing." in html
    assert "extendedParams is not valid JSON" in html
    assert Message.objects.get(seq=1).values == GOOD


def test_paste_many_appends_rows_and_reports_bad_lines_without_adding_any(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    marketer = client_for(cast.marketer)
    marketer.post(url("paste_rows", campaign), {"pasted": "u2,Li,5\n,Wang,6"})  # line 2 has no target
    assert campaign.messages.count() == 1
    marketer.post(url("paste_rows", campaign), {"pasted": "u2\tLi\t5\nu3\tWang\t6\n"})
    assert list(campaign.messages.order_by("seq").values_list("target", flat=True)) == ["u1", "u2", "u3"]


def test_a_pasted_row_missing_a_value_is_kept_for_the_missing_data_policy(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    client_for(cast.marketer).post(url("paste_rows", campaign), {"pasted": "u2,Li,"})
    assert campaign.messages.get(target="u2").values == {"name": "Li"}
    page = client_for(cast.marketer).get(url("edit", campaign)).content.decode()
    assert "No value for #money#." in page


def test_submit_is_refused_under_the_block_policy_with_the_reason(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", {"name": "Li"})])
    response = client_for(cast.marketer).post(url("submit", campaign), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", campaign)
    assert "1 row misses a placeholder value and the policy is to block submission." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_clean_campaign_is_submitted_for_review(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    response = client_for(cast.marketer).post(url("submit", campaign))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_strategy_preview_follows_the_inputs(freeze_clock: datetime, cast: Cast) -> None:
    data = {
        "s-type": "loop",
        "s-time_zone": "Asia/Shanghai",
        "s-circle": "weekly",
        "s-days": ["1", "5"],
        "s-time": "09:45",
        "s-start_date": "2026-12-01",
        "s-end_date": "2027-01-31",
    }
    response = client_for(cast.marketer).post(url("strategy_preview", workspace_id=cast.workspace.pk), data)
    assert "every Monday and Friday at 09:45 from 1 Dec to 31 Jan" in response.content.decode()
    data["s-end_date"] = "2027-12-31"
    assert (
        "180 days"
        in client_for(cast.marketer)
        .post(url("strategy_preview", workspace_id=cast.workspace.pk), data)
        .content.decode()
    )


def test_request_preview_shows_the_first_calls_fields_and_never_the_secret(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    html = client_for(cast.marketer).get(url("edit", campaign)).content.decode()
    assert "TargetMsg.1.TemplateKeyValue" in html
    assert campaign.msg_key_for(1) in html
    assert TEST_SECRET not in html and "Signature" not in html.split("Request preview")[1].split("Test send")[
        0
    ].replace("The signature", "")


def test_values_with_markup_render_as_text_in_builder_and_detail(cast: Cast) -> None:
    campaign = make_campaign(cast, [(XSS, {"name": XSS, "money": "1"})], name=XSS)
    for page in ("edit", "detail"):
        html = client_for(cast.marketer).get(url(page, campaign)).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_reviewers_read_the_detail_page_but_cannot_open_the_builder(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    reviewer = client_for(cast.reviewer)
    detail = reviewer.get(url("detail", campaign)).content.decode()
    assert "Submit for review" not in detail and "Hello Zhang San" in detail
    assert reviewer.get(url("edit", campaign)).status_code == 403


def test_another_workspaces_campaign_is_not_found(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    outsider = client_for(cast.outsider)
    path = reverse("campaigns:edit", kwargs={"workspace_id": cast.other_workspace.pk, "campaign_id": campaign.pk})
    assert outsider.get(path).status_code == 404


def test_test_send_goes_through_the_real_client_to_the_sandbox(cast: Cast, mpaas_sandbox: Any) -> None:
    cast.workspace.endpoint_url = mpaas_sandbox.url
    cast.workspace.save()
    campaign = make_campaign(cast, [("u1", GOOD)])
    response = client_for(cast.marketer).post(
        url("test_send", campaign), {"test_target": "userid-test"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Accepted by the push service." in html, html
    sent = mpaas_sandbox.messages()
    assert [m["target"] for m in sent] == ["userid-test"]
    assert AuditEntry.objects.filter(action="campaign.test_sent").exists()


def test_a_test_send_can_pick_a_row_and_go_to_its_own_target(cast: Cast, mpaas_sandbox: Any) -> None:
    cast.workspace.endpoint_url = mpaas_sandbox.url
    cast.workspace.save()
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", {"name": "Li Si", "money": "88"})])
    marketer = client_for(cast.marketer)
    html = marketer.post(url("test_send", campaign), {"test_row": "2"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Accepted by the push service." in html, html
    (sent,) = mpaas_sandbox.messages()
    assert sent["target"] == "u2" and "Li Si" in sent["content"] and "88" in sent["content"]
    html = marketer.post(url("test_send", campaign), {"test_row": "7"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Row 7 does not exist; the rows are numbered 1 to 2." in html
    html = marketer.post(url("test_send", campaign), {"test_row": "²"}, HTTP_HX_REQUEST="true").content.decode()
    assert "The row must be a row number" in html
    assert len(mpaas_sandbox.messages()) == 1


def test_test_send_without_javascript_answers_with_the_whole_builder_page(cast: Cast, mpaas_sandbox: Any) -> None:
    cast.workspace.endpoint_url = mpaas_sandbox.url
    cast.workspace.save()
    campaign = make_campaign(cast, [("u1", GOOD)])
    html = client_for(cast.marketer).post(url("test_send", campaign), {"test_target": "dev-9"}).content.decode()
    assert "<html" in html and "Accepted by the push service." in html
    assert "Rows: one message per target" in html
    assert TEST_SECRET not in html


def test_a_bad_row_without_javascript_gets_the_whole_page_back_with_the_reason(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    data = {"rows": ["1"], "row-1-target": "", "row-1-v-name": "a", "row-1-v-money": "1"}
    response = client_for(cast.marketer).post(url("rows", campaign), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" in html and "The target is empty." in html and "Channel options" in html
    assert Message.objects.get().target == "u1"


def test_a_campaign_being_sent_cannot_be_edited(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)], status="sending")
    response = client_for(cast.marketer).post(
        url("edit", campaign), settings_post(campaign.template_id, name="New"), follow=True
    )
    assert "can no longer be edited" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Spring promo" and campaign.messages.count() == 1


def test_test_sends_stop_at_the_hourly_limit_with_a_clear_reason(cast: Cast, mpaas_sandbox: Any, settings: Any) -> None:
    settings.PUSHADMIN_TEST_SENDS_PER_HOUR = 2
    cast.workspace.endpoint_url = mpaas_sandbox.url
    cast.workspace.save()
    campaign = make_campaign(cast, [("u1", GOOD)])
    client = client_for(cast.marketer)
    answers = [
        client.post(url("test_send", campaign), {"test_target": f"dev-{n}"}, HTTP_HX_REQUEST="true").content.decode()
        for n in range(3)
    ]
    assert all("Accepted by the push service." in html for html in answers[:2])
    assert "at most 2 times per hour" in answers[2]
    assert [m["target"] for m in mpaas_sandbox.messages()] == ["dev-0", "dev-1"]


def test_renaming_a_campaign_in_review_is_audited_and_returns_it_to_draft(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.IN_REVIEW)
    response = client_for(cast.marketer).post(
        url("edit", campaign), settings_post(campaign.template_id, name="Autumn promo"), follow=True
    )
    assert "Campaign saved." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Autumn promo" and campaign.status == CampaignStatus.DRAFT
    edit = AuditEntry.objects.get(action="campaign.edited")
    assert edit.before["name"] == "Spring promo" and edit.after["name"] == "Autumn promo"
    assert AuditEntry.objects.filter(action="campaign.approval_voided").exists()


def test_the_detail_page_says_how_it_will_be_sent_and_links_to_review_and_progress(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)])
    client = client_for(cast.marketer)
    draft = client.get(url("detail", campaign)).content.decode()
    assert "Sent as soon as it is approved." in draft
    assert "Sending progress" not in draft and "Review page" not in draft
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.IN_REVIEW)
    assert "Review page" in client.get(url("detail", campaign)).content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    sent = client.get(url("detail", campaign)).content.decode()
    assert reverse("delivery:progress", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}) in sent


def test_an_edit_racing_the_start_of_sending_is_refused_and_never_rewinds_the_status(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)], status="approved")
    from pushadmin.campaigns import views

    fetch = views.get_in_workspace

    def fetch_then_start_sending(*args: Any, **kwargs: Any) -> Campaign:
        loaded = fetch(*args, **kwargs)  # the request holds "approved" in memory...
        Campaign.objects.filter(pk=loaded.pk).update(status=CampaignStatus.SENDING)  # ...while a worker starts
        return loaded

    monkeypatch.setattr(views, "get_in_workspace", fetch_then_start_sending)
    response = client_for(cast.marketer).post(
        url("edit", campaign), settings_post(campaign.template_id, name="Renamed"), follow=True
    )
    assert "can no longer be edited" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and campaign.name == "Spring promo"
