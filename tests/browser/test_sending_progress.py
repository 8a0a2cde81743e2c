"""A marketer watches a campaign go out in Chromium, pauses, resumes, cancels and resends failed only.

A real Celery worker sends to the sandbox over HTTP while the page polls; the bars are
read from the page itself, so what is asserted is what the marketer sees.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import controls, dispatch
from pushadmin.delivery.batch_state import HELD_BATCH
from pushadmin.delivery.models import Batch, Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.browser import screenshot
from tests.fixtures.processes import wait_for
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def bar(page: Page, status: str) -> int:
    return int(page.locator(f"#bar-{status}").get_attribute("value") or 0)


def status_of(campaign: Campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


def progress_url(live_server: object, campaign: Campaign) -> str:
    return f"{live_server.url}/w/{campaign.workspace_id}/campaigns/{campaign.pk}/sending/"  # type: ignore[attr-defined]


def test_the_bar_moves_while_sending_and_pause_resume_cancel_take_effect(
    login: Callable[[str, str], Page], live_server: object, cast: Cast, mpaas_sandbox, celery_worker
) -> None:
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=4)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 6000, name="Autumn sale"), cast.reviewer)
    page = login("mia.marketer", PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())
    dispatch.on_approved(campaign.pk)
    page.goto(progress_url(live_server, campaign))

    expect(page.get_by_role("heading", name="Sending “Autumn sale”")).to_be_visible()
    wait_for(lambda: bar(page, "accepted") >= 300, timeout=20, what="the accepted bar to fill")
    seen = bar(page, "accepted")
    wait_for(lambda: bar(page, "accepted") > seen, timeout=10, what="the bar to move on its own")
    assert bar(page, "accepted") + bar(page, "remaining") == 6000
    expect(page.locator(".sending-figures")).to_contain_text("messages/s")
    screenshot(page, "sending-progress-live")

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("alert").filter(has_text="Paused by mia.marketer.")).to_be_visible()
    expect(page.locator("#live .badge").first).to_have_text("Paused")
    wait_for(lambda: not Batch.objects.filter(campaign=campaign, status__in=HELD_BATCH).exists(), timeout=10)
    paused_at = Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count()
    page.wait_for_timeout(1500)
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count() == paused_at
    screenshot(page, "sending-progress-paused")

    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#live .badge").first).to_have_text("Sending")
    wait_for(lambda: bar(page, "accepted") > paused_at, timeout=15, what="sending to carry on after resuming")

    page.get_by_role("button", name="Cancel campaign").click()
    expect(page.get_by_role("status").filter(has_text="unsent messages are marked cancelled")).to_be_visible()
    expect(page.locator("#live .badge").first).to_have_text("Cancelled")
    wait_for(lambda: not Batch.objects.filter(campaign=campaign, status__in=HELD_BATCH).exists(), timeout=10)
    page.reload()
    accepted, cancelled = bar(page, "accepted"), bar(page, "cancelled")
    assert accepted > paused_at and cancelled > 0 and accepted + cancelled == 6000
    assert page.locator("#live[hx-trigger]").count() == 0, "polling goes on after the campaign ended"
    stored = {m["msgKey"] for m in mpaas_sandbox.messages()}
    assert len(stored) == accepted and mpaas_sandbox.stats()["duplicateMsgKeys"] == 0
    screenshot(page, "sending-progress-cancelled")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_resend_failed_only_sends_the_rejected_rows_again_with_new_msg_keys(
    login: Callable[[str, str], Page], live_server: object, cast: Cast, mpaas_sandbox, celery_worker
) -> None:
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=50)
    campaign = draft_campaign(cast.workspace, cast.marketer, 300, name="Loyalty bonus")
    # The second batch lacks a placeholder value, so mPaaS refuses it (3023).
    Message.objects.filter(campaign=campaign, seq__gt=100, seq__lte=200).update(values={"name": "No amount"})
    campaign = approve(campaign, cast.reviewer)
    page = login("mia.marketer", PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: status_of(campaign) == CampaignStatus.PARTLY_SENT, timeout=20, what="the first round")

    page.goto(progress_url(live_server, campaign))
    expect(page.locator("#live .badge").first).to_have_text("Partly sent")
    assert (bar(page, "accepted"), bar(page, "rejected")) == (200, 100)
    page.get_by_label("Status").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".messages-table tbody")).to_contain_text("The template values do not fill every placeholder")
    screenshot(page, "sending-progress-partly-sent")

    # Looking for the culprit rows, the sender found the first few alone; those are not resent.
    own = controls.refused_for_own_content(campaign)
    assert 0 < own < 100
    expect(page.locator("[data-refused-own]")).to_contain_text(f"{own} messages were refused by mPaaS for their own")
    Message.objects.filter(campaign=campaign, seq__gt=100, seq__lte=200).update(values={"name": "Fixed", "money": "9"})
    page.get_by_role("button", name=f"Resend failed only ({100 - own})").click()
    # The POST's redirect must land before the page is reloaded, or the reload races it.
    expect(page.get_by_role("status").filter(has_text="are being sent again with new MsgKeys")).to_be_visible()
    resent_rows = Message.objects.filter(campaign=campaign, send_round=2)

    def round_two_ended() -> bool:
        return (
            status_of(campaign) == CampaignStatus.PARTLY_SENT
            and resent_rows.filter(status="accepted").count() == 100 - own
        )

    wait_for(round_two_ended, timeout=20, what="the resend round")
    page.reload()
    assert (bar(page, "accepted"), bar(page, "rejected")) == (300 - own, own)
    expect(page.locator(".sending-head")).to_contain_text("Round 2")
    resent = Message.objects.get(campaign=campaign, seq=150)
    assert resent.msg_key.endswith("-r2") and resent.status == MessageStatus.ACCEPTED
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0
    screenshot(page, "sending-progress-resent")
    assert page.console_errors == []  # type: ignore[attr-defined]
