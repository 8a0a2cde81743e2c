"""A marketer composes a campaign in Chromium: template, three rows typed in, schedule, submit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import Strategy, summary
from tests.fixtures.browser import SCREENSHOT_DIR, screenshot
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS = '<img src=x onerror="document.body.dataset.owned=1">'


def fill_row(page: Page, key: str, target: str, name: str, money: str) -> None:
    page.locator(f"#row-{key}-target").fill(target)
    page.locator(f"#row-{key}-v-name").fill(name)
    page.locator(f"#row-{key}-v-money").fill(money)


def test_marketer_builds_a_three_row_campaign_with_live_preview_and_is_stopped_by_a_missing_value(
    login: Callable[[str, str], Page], cast: Cast, live_server: object
) -> None:
    page = login("mia.marketer", PASSWORD)
    base = f"{live_server.url}/w/{cast.workspace.pk}"  # type: ignore[attr-defined]

    # A template: the placeholder list follows the typing.
    page.goto(f"{base}/templates/new/")
    page.get_by_label("Name").fill("spring-win")
    page.get_by_label("Title").fill("Hi #name#")
    page.get_by_label("Content").fill("Hello #name#, you won #money# yuan")
    expect(page.get_by_role("list", name="Placeholders found")).to_contain_text("#money#")
    page.get_by_label("Sample value for #name#").fill("Zhang San")
    expect(page.locator("#phones").first).to_contain_text("Hi Zhang San")
    screenshot(page, "marketer-template")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("status")).to_contain_text("Template “spring-win” saved.")

    # A campaign with a weekly schedule whose sentence follows the inputs.
    page.goto(f"{base}/campaigns/new/")
    page.locator("#id_name").fill("Spring winners")
    page.locator("#id_template").select_option(label="spring-win")
    page.get_by_label("In a loop").check()
    page.get_by_label("Repeat", exact=True).select_option("weekly")
    page.get_by_label("Monday").check()
    page.get_by_label("Friday").check()
    start, end = date.today() + timedelta(days=3), date.today() + timedelta(days=60)
    page.get_by_label("At", exact=True).fill("09:45")
    page.get_by_label("From", exact=True).fill(start.isoformat())
    page.get_by_label("Until", exact=True).fill(end.isoformat())
    strategy = {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "weekly",
        "days": [1, 5],
        "time": "09:45",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    expect(page.locator("#strategy-summary")).to_contain_text(summary(Strategy.from_json(strategy)))
    page.get_by_label("Wednesday").check()
    strategy["days"] = [1, 3, 5]
    expect(page.locator("#strategy-summary")).to_contain_text(summary(Strategy.from_json(strategy)))
    expect(page.locator("#strategy-summary")).to_contain_text("every Monday, Wednesday and Friday at 09:45")
    page.get_by_label("Until", exact=True).fill((date.today() + timedelta(days=200)).isoformat())
    expect(page.locator("#strategy-summary")).to_contain_text("180 days")
    page.get_by_label("Until", exact=True).fill(end.isoformat())
    screenshot(page, "marketer-new-campaign")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("heading", name="Rows: one message per target")).to_be_visible()

    # Three rows typed in: one blank row is there, two more are added.
    fill_row(page, "new-0", "user-1", "Zhang San", "200")
    page.get_by_role("button", name="Add row").click()
    expect(page.locator("#row-new-1-target")).to_be_focused()
    fill_row(page, "new-1", "user-2", XSS, "88")
    page.get_by_role("button", name="Add row").click()
    fill_row(page, "new-2", "user-3", "Wang Wu", "")
    page.get_by_role("button", name="Save rows").click()
    expect(page.locator("#row-count")).to_have_text("3")
    expect(page.locator("#problem-count")).to_have_text("1")
    expect(page.locator("#out-3")).to_contain_text("No value for #money#.")
    expect(page.locator("#out-2")).to_contain_text(XSS)

    # Typing re-renders that row only, with no page load.
    page.evaluate("window.__samePage = true")
    page.locator("#row-1-v-name").fill("Li Si")
    expect(page.locator("#out-1")).to_contain_text("Hello Li Si, you won 200 yuan")
    expect(page.locator("#out-3")).to_contain_text("No value for #money#.")
    assert page.evaluate("window.__samePage") is True
    page.locator("#row-1-v-money").fill("")
    expect(page.locator("#out-1")).to_contain_text("No value for #money#.")
    page.locator("#row-1-v-money").fill("200")
    expect(page.locator("#out-1")).not_to_contain_text("No value")
    screenshot(page, "marketer-builder")
    page.locator("#rows").screenshot(path=str(SCREENSHOT_DIR / "marketer-builder-rows.png"))

    # Leaving with typed rows not saved asks first; staying keeps them, saving ends the question.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Review and submit").click()
    expect(page.locator("#row-1-v-name")).to_have_value("Li Si")
    assert dialogs == ["beforeunload"]
    page.get_by_role("button", name="Save rows").click()
    expect(page.get_by_text("Rows saved.")).to_be_visible()

    # Submitting under the block policy is refused with the reason.
    page.get_by_role("link", name="Review and submit").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").first).to_contain_text("1 row misses a placeholder value")
    screenshot(page, "marketer-submit-refused")
    assert Campaign.objects.get().status == CampaignStatus.DRAFT
    assert page.evaluate("document.body.dataset.owned") is None
    assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
