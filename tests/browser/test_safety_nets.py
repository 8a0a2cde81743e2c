"""In Chromium: the suppression list, the pre-flight counts of held-back targets, and recalling a sent campaign."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import dispatch
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.safety.models import Recall, RecallStatus, Suppression
from tests.browser.test_page_widths import DESKTOP, PHONE, width_problems
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.browser import screenshot
from tests.fixtures.processes import wait_for
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_keeps_the_suppression_list_and_sees_what_it_holds_back(
    login: Callable[[str, str], Page], live_server: object, cast: Cast, tmp_path
) -> None:
    base = f"{live_server.url}/w/{cast.workspace.pk}"  # type: ignore[attr-defined]
    campaign = draft_campaign(cast.workspace, cast.marketer, 40, name="Winter offer")
    page = login("rob.reviewer", PASSWORD)
    page.goto(f"{base}/suppressions/")

    add = page.locator("section[aria-labelledby=add-heading]")
    add.get_by_role("textbox", name="Target").fill("user-000003")
    add.get_by_role("combobox", name="Reason").select_option("complaint")
    add.get_by_role("textbox", name="Note").fill("Ticket 5531")
    add.get_by_role("button", name="Suppress").click()
    expect(page.get_by_text("“user-000003” will never be sent a message from here.")).to_be_visible()

    csv = tmp_path / "optouts.csv"
    csv.write_text("target,reason\nuser-000007,opted out\nuser-000009,legal hold\n,complaint\n", encoding="utf-8")
    importing = page.locator("section[aria-labelledby=import-heading]")
    importing.get_by_role("button", name="CSV file").set_input_files(str(csv))
    importing.get_by_role("button", name="Import", exact=True).click()
    report = page.locator("[data-import-report]")
    expect(report).to_contain_text("2 added")
    expect(report).to_contain_text("empty target")
    expect(page.locator("[data-suppressed]")).to_have_count(3)
    screenshot(page, "safety-suppression-list")

    page.context.clear_cookies()
    page = login("mia.marketer", PASSWORD)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    counts = page.locator("[data-safety-counts]")
    expect(counts.locator("[data-rows-suppressed]")).to_have_text("3")
    expect(counts).to_contain_text("37")
    expect(page.locator(".warnings")).to_contain_text("3 target(s) are on the workspace's suppression list")
    screenshot(page, "safety-preflight-counts")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_reviewer_recalls_a_sent_campaign_and_watches_each_task_answer(
    login: Callable[[str, str], Page], live_server: object, cast: Cast, mpaas_sandbox, celery_worker
) -> None:
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=20)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 1200, name="Price slip"), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT, timeout=60, what="the send")
    page = login("rob.reviewer", PASSWORD)
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/campaigns/{campaign.pk}/sending/")  # type: ignore[attr-defined]
    page.locator("[data-recall-link]").click()

    expect(page.get_by_role("heading", name="Recall “Price slip”")).to_be_visible()
    page.get_by_label("Reason for the recall").fill("The price in the text is wrong")
    page.get_by_role("button", name="Recall every message of this campaign").click()
    expect(page.get_by_role("heading", name="Recall finished")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-recall-figures]")).to_contain_text("12 recalled (1200 messages)")
    expect(page.locator("[data-recall-unavailable]")).to_contain_text("none was accepted, or all were recalled")
    screenshot(page, "safety-recall-finished")

    assert Recall.objects.get(campaign=campaign).status == RecallStatus.DONE
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.RECALLED).count() == 1200
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_safety_pages_fit_a_phone_and_a_desktop(
    cast: Cast, live_server: object, browser: Browser, viewport: dict[str, int]
) -> None:
    Suppression.objects.create(
        workspace=cast.workspace, target="device-" + "f" * 60, reason="legal_hold", note="Court order 2026/118"
    )
    campaign = draft_campaign(cast.workspace, cast.marketer, 3, name="Sent campaign with a long name to wrap")
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.ACCEPTED, task_id="a" * 32)
    ws = cast.workspace.pk
    paths = [("suppressions", f"/w/{ws}/suppressions/"), ("recall", f"/w/{ws}/campaigns/{campaign.pk}/recall/")]
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    size = "phone" if viewport is PHONE else "desktop"
    problems = width_problems(page, live_server.url, "rob.reviewer", paths, f"{size}-safety")  # type: ignore[attr-defined]
    context.close()
    assert not problems, "\n".join(problems)
