"""The browsable API docs in Chromium under the real Content-Security-Policy: Swagger UI from our
own static files draws every route, and a token typed into Authorize lists the campaigns."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pushadmin.accounts.models import Role
from tests.api.api_client import token_for
from tests.fixtures.browser import screenshot
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_draw_every_route_and_try_one_with_a_token(cast: Cast, live_server: Any, page: Page) -> None:
    make_campaign(cast.workspace, cast.marketer, name="Docs campaign")
    secret = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url))

    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_role("heading", name="pushadmin API")).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/campaigns/{campaign_id}/approve")).to_be_visible()
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input[type=text]").fill(secret)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    listing = page.locator("#operations-campaigns-pushadmin_api_campaign_routes_list_campaigns")
    listing.locator(".opblock-summary").click()
    listing.get_by_role("button", name="Try it out").click()
    listing.get_by_role("button", name="Execute").click()
    expect(listing.locator(".live-responses-table .response .response-col_status").first).to_contain_text("200")
    expect(listing.locator(".microlight").filter(has_text="Docs campaign").first).to_be_visible()
    screenshot(page, "api-docs")

    words = ("Content Security Policy", "Refused to")
    assert not [e for e in page.console_errors if any(w in e for w in words)]  # type: ignore[attr-defined]
    assert outside == [], "the docs must load nothing from outside the site"
