"""The auditor filters the history with htmx, pages through it and exports what matches."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pushadmin.audit import chain_checks
from pushadmin.audit.models import ChainCheck
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.reviews.approving import Shown, approve
from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_auditor_filters_pages_and_exports_messages(
    cast: Cast, live_server: Any, page: Page, login: Callable[[str, str], Page], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pushadmin.reviews.approving.start_sending", lambda campaign_id: None)
    rows = [(f"user{n:03}", {"name": f"Name {n}", "money": str(n)}) for n in range(1, 121)]
    campaign = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, rows=rows), request=request_by(cast.marketer)
    )
    approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    Message.objects.filter(campaign=campaign, seq__in=[7, 70]).update(
        status=MessageStatus.REJECTED, result_code="=InvalidTarget"
    )

    login("ada.auditor", PASSWORD)
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/history/messages/")
    expect(page.locator("tbody tr")).to_have_count(50)
    page.get_by_role("link", name="Older »").click()
    expect(page.locator("tbody tr").first).to_contain_text("user070")

    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/history/messages/")
    page.get_by_label("State").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert "state=rejected" in page.url  # htmx pushed the filtered URL, so it can be shared and reloaded
    screenshot(page, "history-messages-filtered")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export all matching rows as CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as exported:
        table = list(csv.DictReader(io.StringIO(exported.read())))
    assert sorted(row["Target"] for row in table) == ["user007", "user070"]
    assert {row["Result code"] for row in table} == {"'=InvalidTarget"}

    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/trail/")
    page.get_by_role("button", name="Verify this workspace's entries").click()
    expect(page.get_by_text("Checking the entries of this workspace")).to_be_visible()
    chain_checks.run_check(ChainCheck.objects.get().pk)  # what the worker does
    expect(page.get_by_text("Intact: all")).to_be_visible(timeout=10_000)  # the page polls until it is done
    screenshot(page, "audit-trail")
    assert page.console_errors == []  # type: ignore[attr-defined]
