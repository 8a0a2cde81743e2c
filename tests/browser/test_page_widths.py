"""Every persona's main pages fit a 390 px phone and a 1,366 px desktop: nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.campaigns.workflow import submit_for_review
from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LONG_NAME = "双十一 Autumn loyalty bonus for members who joined before 2025 and came back"


def pages_of(cast: Cast) -> dict[str, list[tuple[str, str]]]:
    """(screenshot name, path) of each persona's main pages."""
    ws = cast.workspace.pk
    in_review = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, name=LONG_NAME), request=request_by(cast.marketer)
    )
    sending = make_campaign(cast.workspace, cast.marketer, name="Sent " + LONG_NAME)
    sending = submit_for_review(sending, request=request_by(cast.marketer))
    for to in (CampaignStatus.APPROVED, CampaignStatus.SENDING):
        sending = transition(sending, to, action="t")
    return {
        "mia.marketer": [
            ("dashboard", f"/w/{ws}/"),
            ("templates", f"/w/{ws}/templates/"),
            ("audiences", f"/w/{ws}/audiences/"),
            ("campaigns", f"/w/{ws}/campaigns/"),
            ("campaign-new", f"/w/{ws}/campaigns/new/"),
            ("builder", f"/w/{ws}/campaigns/{in_review.pk}/edit/"),
            ("campaign-detail", f"/w/{ws}/campaigns/{in_review.pk}/"),
            ("progress", f"/w/{ws}/campaigns/{sending.pk}/sending/"),
            ("delivery-figures", f"/w/{ws}/campaigns/{sending.pk}/figures/"),
            ("analytics", f"/w/{ws}/analytics/"),
            ("notifications", "/notifications/"),
        ],
        "rob.reviewer": [("review-queue", f"/w/{ws}/reviews/"), ("review", f"/w/{ws}/reviews/{in_review.pk}/")],
        "ada.auditor": [
            ("history", f"/w/{ws}/history/"),
            ("history-messages", f"/w/{ws}/history/messages/"),
            ("history-calls", f"/w/{ws}/history/calls/"),
            ("history-figures", f"/w/{ws}/history/figures/"),
            ("trail", f"/w/{ws}/trail/"),
            ("evidence", f"/w/{ws}/history/campaigns/{sending.pk}/"),
        ],
        "abe.admin": [("members", f"/w/{ws}/members/"), ("settings", f"/w/{ws}/settings/")],
    }


# The outermost elements that reach past the window's right edge, to say what to mend.
OVERFLOWING = """() => {
  const width = window.innerWidth, found = [];
  const scrolls = el => { for (let a = el.parentElement; a; a = a.parentElement) {
    const x = getComputedStyle(a).overflowX; if (x === "auto" || x === "scroll" || x === "hidden") return true; }
    return false; };
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right <= width + 0.5 || scrolls(el)) continue;
    const inner = [...el.children].some(child => child.getBoundingClientRect().right > width + 0.5);
    if (!inner) found.push(el);
  }
  return found.slice(0, 4).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
    " " + Math.round(el.getBoundingClientRect().right) +
    " '" + (el.textContent || "").trim().slice(0, 30) + "'").join(", ");
}"""


def width_problems(page: Page, base: str, username: str, paths: list[tuple[str, str]], size: str) -> list[str]:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    problems = []
    for name, path in paths:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        page.wait_for_load_state("networkidle")
        wide = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.evaluate("window.innerWidth")
        if wide > viewport:
            culprits = page.evaluate(OVERFLOWING)
            problems.append(f"{size} {username} {path}: {wide} px wide in a {viewport} px window ({culprits})")
        screenshot(page, f"{size}-{name}")
    return problems


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_no_page_is_wider_than_the_window(
    cast: Cast, live_server: Any, browser: Browser, size: str, viewport: dict[str, int]
) -> None:
    problems: list[str] = []
    for username, paths in pages_of(cast).items():
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems += width_problems(page, live_server.url, username, paths, size)
        context.close()
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_navigation_is_a_menu(cast: Cast, live_server: Any, browser: Browser) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("mia.marketer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/campaigns/")
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("link", name="Templates").is_visible()
    page.get_by_text("Menu", exact=True).click()
    nav.get_by_role("link", name="Templates").click()
    page.wait_for_url(f"**/w/{cast.workspace.pk}/templates/")
    screenshot(page, "phone-menu-followed")
    context.close()
