"""A marketer reads a campaign's delivery funnel, the workspace trend and a quota warning in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from pushadmin.analytics import sync
from pushadmin.analytics.models import Snapshot, VendorLimit
from tests.analytics.sending import enqueued, send  # noqa: F401  (fixtures)
from tests.delivery.campaigns import draft_campaign
from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def phones(sandbox, **knobs) -> None:
    sandbox.http.post(f"{sandbox.url}/_sandbox/phones", json=knobs).raise_for_status()


def test_the_funnel_trend_and_forecast_warning_read_in_the_browser(
    login: Callable[[str, str], Page],
    live_server: object,
    cast: Cast,
    mpaas_sandbox,
    send,  # noqa: F811
) -> None:
    phones(mpaas_sandbox, clockSpeed=0, advanceHours=1)
    campaign = send(mpaas_sandbox.url, 3000, name="Spring promotion")
    for hours in (1, 3, 6, 12, 24, 48):
        phones(mpaas_sandbox, advanceHours=hours)
        sync.read_now(campaign)
        sync.run(seconds=60)
        # Each read stands for one taken that many hours after sending (the sandbox's phones run ahead).
        latest = Snapshot.objects.filter(campaign=campaign).latest("pk")
        Snapshot.objects.filter(pk=latest.pk).update(taken_at=campaign.started_at + timedelta(hours=hours))
    campaign.refresh_from_db()
    truth = campaign.figure_snapshots.order_by("-taken_at").first()
    assert truth is not None and truth.push_total == 3000

    page = login("mia.marketer", PASSWORD)
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/campaigns/{campaign.pk}/sending/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Delivery funnel: arrivals and opens per channel").click()
    expect(page.get_by_role("heading", name="What happened to “Spring promotion”")).to_be_visible()
    arrived = page.locator('[data-funnel="arrived"] [data-count]')
    expect(arrived).to_have_text(str(truth.arrived))
    expect(page.locator("[data-freshness]")).to_contain_text("Figures last updated")
    expect(page.locator('[data-channel="MIUI"]')).to_contain_text("Xiaomi")
    expect(page.get_by_role("img", name="Arrivals rose to")).to_be_visible()
    assert not page.console_errors  # type: ignore[attr-defined]
    screenshot(page, "analytics-funnel")

    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Delivery analytics")).to_be_visible()
    page.get_by_label("Channel").select_option("HMS")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-trend-totals]")).to_contain_text("pushed")
    assert "channel=HMS" in page.url
    screenshot(page, "analytics-trend")

    VendorLimit.objects.create(
        workspace=cast.workspace, vendor="MIUI", category="marketing", daily_limit=300, source="Xiaomi console, quota"
    )
    winter = draft_campaign(cast.workspace, cast.marketer, 4000, name="Winter sale")
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/campaigns/{winter.pk}/")  # type: ignore[attr-defined]
    warning = page.locator("[data-quota-warning]")
    expect(warning).to_contain_text("via Xiaomi marketing channel")
    expect(warning).to_contain_text("the daily limit for this app is about 300")
    warning.scroll_into_view_if_needed()
    screenshot(page, "analytics-forecast-warning")
