"""A reviewer's Approve on a page that shows an older revision sends nothing; the current one sends what it shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.delivery.models import Message
from pushadmin.reviews.models import Approval
from tests.fixtures.browser import screenshot
from tests.fixtures.processes import wait_for
from tests.personas import PASSWORD, Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EVIL = {"name": "EVIL-UNREVIEWED-TEXT", "money": "999999"}


def test_an_approval_from_a_stale_page_is_refused_and_the_current_one_sends_exactly_what_it_showed(
    cast: Cast,
    live_server: Any,
    page: Page,
    login: Callable[[str, str], Page],
    mpaas_sandbox: Any,
    celery_worker: Any,
) -> None:
    workspace = cast.workspace
    workspace.endpoint_url, workspace.calls_per_second = mpaas_sandbox.url, 50
    workspace.save()
    campaign = make_campaign(workspace, cast.marketer, name="Stale bonus")
    campaign = submit_for_review(campaign, request=request_by(cast.marketer))

    login("rob.reviewer", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.pk}/reviews/{campaign.pk}/")
    expect(page.get_by_text("Hello Zhang San, congratulations on winning 200 yuan")).to_be_visible()

    # Behind the open page, the marketer changes row 1 and resubmits: revision 3 is in review.
    campaign = record_edit(campaign, request=request_by(cast.marketer))
    Message.objects.filter(campaign=campaign, seq=1).update(values=EVIL)
    campaign = submit_for_review(
        record_edit(campaign, request=request_by(cast.marketer)), request=request_by(cast.marketer)
    )

    page.get_by_role("button", name="Approve revision 1").click()
    expect(page.get_by_text("reload to see revision 3. Nothing was recorded.")).to_be_visible()
    screenshot(page, "review-stale-approval-refused")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert not Approval.objects.exists()
    assert mpaas_sandbox.messages(msgKey=campaign.msg_key_for(1)) == []

    # The page the refusal lands on shows revision 3; approving it sends exactly that text.
    expect(page.get_by_text("Hello EVIL-UNREVIEWED-TEXT, congratulations on winning 999999 yuan")).to_be_visible()
    page.get_by_role("button", name="Approve revision 3").click()
    expect(page.get_by_text("“Stale bonus” is approved.")).to_be_visible()
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT, timeout=60, what="the send")
    sent = {m["msgKey"]: m["content"] for m in mpaas_sandbox.messages() if m["msgKey"].startswith("pa")}
    shown = {m.msg_key: m for m in Message.objects.filter(campaign=campaign)}
    assert set(sent) == set(shown)
    assert sent[campaign.msg_key_for(1)] == "Hello EVIL-UNREVIEWED-TEXT, congratulations on winning 999999 yuan"
    assert sent[campaign.msg_key_for(2)] == "Hello Li Si, congratulations on winning 88 yuan"
    assert Approval.objects.get().revision == 3
