"""The four-eyes journey in a real browser, sent for real by a worker to the sandbox.

The marketer submits from the campaign page; she holds the reviewer role too but is refused approval of her own
campaign; a reviewer approves with the keyboard; the marketer's edit voids that approval;
two reviewers approve the resubmitted campaign; the worker sends it; the auditor follows
the whole timeline and downloads the evidence pack.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pushadmin.accounts.models import Membership, Role
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.reviews.models import Approval
from tests.fixtures.browser import screenshot
from tests.fixtures.processes import wait_for
from tests.personas import PASSWORD, Cast, make_user
from tests.reviews.campaign_rows import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")


def approve_with_keyboard(page: Page, base: str, cast: Cast) -> None:
    page.goto(f"{base}/w/{cast.workspace.pk}/reviews/")
    screenshot(page, "review-queue")
    page.keyboard.press("j")  # opens the oldest campaign in the queue
    expect(page.get_by_role("heading", name="Decision")).to_be_visible()
    expect(page.locator("html[data-review-keys=ready]")).to_have_count(1)  # the shortcuts listen
    page.keyboard.press("a")
    expect(page.locator("#approve-hint")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def test_four_eyes_review_journey_from_submission_to_evidence_pack(
    cast: Cast,
    live_server: Any,
    page: Page,
    login: Callable[[str, str], Page],
    mpaas_sandbox: Any,
    celery_worker: Any,
) -> None:
    base = live_server.url
    workspace = cast.workspace
    workspace.endpoint_url, workspace.required_approvals, workspace.calls_per_second = mpaas_sandbox.url, 2, 50
    workspace.save()
    Membership.objects.create(user=cast.marketer, workspace=workspace, role=Role.REVIEWER)
    make_user("rita.reviewer", workspace, Role.REVIEWER)
    campaign = make_campaign(workspace, cast.marketer, name="Winter bonus")
    campaign.editors.add(cast.marketer)

    # The marketer submits from the campaign page and cannot approve her own campaign.
    login("mia.marketer", PASSWORD)
    page.goto(f"{base}/w/{workspace.pk}/campaigns/{campaign.pk}/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("is waiting for review")).to_be_visible()
    page.goto(f"{base}/w/{workspace.pk}/reviews/")
    page.get_by_role("link", name="Winter bonus").click()
    expect(page.locator("[data-refusal]")).to_contain_text("You created this campaign")
    expect(page.locator("#approve-button")).to_be_disabled()
    expect(page.get_by_text("Hello Zhang San, congratulations on winning 200 yuan")).to_be_visible()
    screenshot(page, "review-refused-to-author")
    log_out(page)

    # A reviewer approves with the keyboard: one of the two approvals this workspace needs.
    login("rob.reviewer", PASSWORD)
    approve_with_keyboard(page, base, cast)
    expect(page.get_by_text("needs one more reviewer")).to_be_visible()
    log_out(page)

    # The marketer edits the campaign: the approval is void and the campaign is a draft again.
    login("mia.marketer", PASSWORD)
    page.goto(f"{base}/w/{workspace.pk}/campaigns/{campaign.pk}/edit/")
    page.locator("#row-3-v-money").fill("1200")
    with page.expect_navigation():  # the save answers with the builder again: let it land before moving on
        page.get_by_role("button", name="Save rows").click()
    wait_for(lambda: Approval.objects.get(campaign=campaign).voided_at, timeout=15, what="the approval to be voided")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    page.goto(f"{base}/w/{workspace.pk}/campaigns/{campaign.pk}/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("is waiting for review")).to_be_visible()
    log_out(page)

    # Two reviewers approve the new revision; the worker sends it to the sandbox.
    login("rob.reviewer", PASSWORD)
    page.goto(f"{base}/w/{workspace.pk}/reviews/{campaign.pk}/")
    expect(page.locator("table").filter(has_text="voided: edited after submission")).to_be_visible()
    expect(page.locator("table.diff").first).to_contain_text("target rows changed: 1 row changed (2 unchanged)")
    changed_row = page.locator("[data-row-changes] tbody tr")
    expect(changed_row.locator("th")).to_have_text("3")
    expect(changed_row.locator("td")).to_have_text(["money", "1000", "1200"])
    expect(page.get_by_text("Hello Wang Wu, congratulations on winning 1200 yuan")).to_be_visible()
    screenshot(page, "review-page-after-voided-approval")
    approve_with_keyboard(page, base, cast)
    log_out(page)
    login("rita.reviewer", PASSWORD)
    approve_with_keyboard(page, base, cast)
    expect(page.get_by_text("“Winter bonus” is approved.")).to_be_visible()
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT, timeout=60, what="the send")
    log_out(page)

    # The auditor follows the whole timeline and downloads the evidence pack.
    login("ada.auditor", PASSWORD)
    page.goto(f"{base}/w/{workspace.pk}/history/")
    page.get_by_role("link", name=str(campaign.pk), exact=True).click()
    timeline = page.locator(".timeline li")
    actions = [timeline.nth(i).get_attribute("data-action") for i in range(timeline.count())]
    assert actions[:7] == [
        "campaign.submitted",
        "campaign.approval_given",
        "campaign.edited",
        "campaign.approval_voided",
        "campaign.submitted",
        "campaign.approval_given",
        "campaign.approved",
    ]
    assert "delivery.batches_sent" in actions and actions[-1] == "campaign.sent"
    expect(page.get_by_text("Every entry below matches its hash")).to_be_visible()
    screenshot(page, "evidence-page")
    with page.expect_download() as download_info:
        page.locator("[data-evidence-pack]").click()
    pack = zipfile.ZipFile(download_info.value.path())
    outcomes = list(csv.DictReader(io.StringIO(pack.read("messages.csv").decode("utf-8-sig"))))
    assert [row["State"] for row in outcomes] == ["Accepted by mPaaS"] * 3
    assert all(row["RequestId"] for row in outcomes)
    approvals = list(csv.DictReader(io.StringIO(pack.read("approvals.csv").decode("utf-8-sig"))))
    assert [(a["reviewer"], bool(a["voided_at"])) for a in approvals] == [
        ("rob.reviewer", True),
        ("rob.reviewer", False),
        ("rita.reviewer", False),
    ]
    assert page.console_errors == []  # type: ignore[attr-defined]
