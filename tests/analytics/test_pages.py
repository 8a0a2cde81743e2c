"""The analytics pages: who sees them, the workspace trend and its filters, the CSV, limits and the forecast warning."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.analytics import sync
from pushadmin.analytics.models import VendorLimit
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from tests.delivery.campaigns import draft_campaign

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, workspace, **kwargs) -> str:
    return reverse(f"analytics:{name}", kwargs={"workspace_id": workspace.pk, **kwargs})


@pytest.fixture
def read_campaign(cast, mpaas_sandbox, send) -> Campaign:
    mpaas_sandbox.http.post(f"{mpaas_sandbox.url}/_sandbox/phones", json={"clockSpeed": 0, "advanceHours": 24})
    campaign = send(mpaas_sandbox.url, 500, name='=HYPERLINK("http://x")')
    sync.run(seconds=60)
    return campaign


def test_an_outsider_cannot_see_another_workspaces_figures(cast, read_campaign):
    response = client_for(cast.outsider).get(url("campaign", cast.workspace, campaign_id=read_campaign.pk))
    assert response.status_code == 404
    assert client_for(cast.outsider).get(url("workspace", cast.workspace)).status_code == 404


def test_the_workspace_trend_counts_each_day_and_the_channel_filter_narrows_it(cast, read_campaign):
    html = client_for(cast.auditor).get(url("workspace", cast.workspace)).content.decode()
    everything = read_campaign.task_figures.filter(channel="").values_list("pushed", flat=True)
    assert f"<p data-trend-totals>{sum(everything)} pushed" in html
    assert "Campaigns side by side" in html and "HYPERLINK" in html
    apple = client_for(cast.auditor).get(url("workspace", cast.workspace), {"channel": "IOS"}).content.decode()
    ios = read_campaign.task_figures.filter(channel="IOS").values_list("pushed", flat=True)
    assert f"<p data-trend-totals>{sum(ios)} pushed" in apple and 0 < sum(ios) < sum(everything)


def test_filters_not_offered_are_named_and_not_applied(cast, read_campaign):
    html = (
        client_for(cast.marketer)
        .get(url("workspace", cast.workspace), {"channel": "WINDOWS", "days": "12", "platform": "IOS"})
        .content.decode()
    )
    assert "Channel “WINDOWS” is not one of the choices." in html
    assert "Period must be 7, 30 or 90 days." in html
    mismatch = client_for(cast.marketer).get(url("workspace", cast.workspace), {"channel": "MIUI", "platform": "IOS"})
    assert "That channel does not carry that platform" in mismatch.content.decode()


def test_the_csv_is_formula_safe_and_its_download_audited(cast, read_campaign):
    response = client_for(cast.auditor).get(url("csv", cast.workspace), {"days": "7"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith('"campaign_id","campaign","day (UTC+8)","channel"')
    assert any('"\'=HYPERLINK(""http://x"")"' in line for line in lines[1:])
    assert all('"=' not in line for line in lines[1:])
    assert AuditEntry.objects.filter(action="analytics.exported", actor=cast.auditor).exists()


def test_only_an_admin_enters_a_vendor_limit_with_its_source_and_bad_input_saves_nothing(cast):
    form = {"vendor": "MIUI", "category": "marketing", "daily_limit": "30000", "source": "Xiaomi console, quota page"}
    assert client_for(cast.marketer).post(url("vendor_limit", cast.workspace), form).status_code == 403
    client_for(cast.admin).post(url("vendor_limit", cast.workspace), {**form, "daily_limit": "0"})
    assert not VendorLimit.objects.exists()
    client_for(cast.admin).post(url("vendor_limit", cast.workspace), form)
    limit = VendorLimit.objects.get()
    assert (limit.daily_limit, limit.source) == (30000, "Xiaomi console, quota page")
    entry = AuditEntry.objects.get(action="analytics.vendor_limit_set")
    assert entry.detail == {"vendor": "MIUI", "category": "marketing"}


def test_review_and_pre_flight_warn_when_a_vendors_share_passes_its_daily_limit(cast, read_campaign):
    VendorLimit.objects.create(
        workspace=cast.workspace, vendor="MIUI", category="marketing", daily_limit=50, source="Xiaomi console"
    )
    campaign = draft_campaign(cast.workspace, cast.marketer, 2000, name="Winter sale")
    detail = client_for(cast.marketer).get(
        reverse("campaigns:detail", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    )
    assert "via Xiaomi marketing channel" in detail.content.decode()
    assert "the daily limit for this app is about 50" in detail.content.decode()
    transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=cast.marketer)
    review = (
        client_for(cast.reviewer)
        .get(reverse("reviews:review", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}))
        .content.decode()
    )
    assert "data-quota-warning" in review and "Xiaomi console" in review
    # The reviewer also sees how the last campaign of the same template did.
    assert "How earlier campaigns of this template did" in review and "HYPERLINK" in review


def test_a_private_channel_id_moves_xiaomi_to_its_uncapped_category(cast, read_campaign):
    VendorLimit.objects.create(
        workspace=cast.workspace, vendor="MIUI", category="marketing", daily_limit=50, source="Xiaomi console"
    )
    campaign = draft_campaign(cast.workspace, cast.marketer, 2000, options={"mi_channel_id": "123"})
    detail = client_for(cast.marketer).get(
        reverse("campaigns:detail", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    )
    assert "data-quota-warning" not in detail.content.decode()


def test_auditors_see_each_read_of_the_figures_with_its_time_in_history_and_the_evidence_pack(cast, read_campaign):
    import io
    import zipfile

    snapshot = read_campaign.figure_snapshots.get()
    auditor = client_for(cast.auditor)
    history = auditor.get(reverse("audit:figures", kwargs={"workspace_id": cast.workspace.pk})).content.decode()
    assert f"{snapshot.taken_at:%Y-%m-%d %H:%M:%S}" in history and f"<td>{snapshot.arrived}</td>" in history
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": read_campaign.pk}
    page = auditor.get(reverse("audit:evidence", kwargs=kwargs)).content.decode()
    assert "Delivery figures read from mPaaS" in page and f"<td>{snapshot.opened}</td>" in page
    pack = auditor.get(reverse("audit:evidence_pack", kwargs=kwargs))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pack.streaming_content)))
    figures = archive.read("figures.csv").decode("utf-8-sig").splitlines()
    assert figures[0].startswith('"read_at","targets","pushed","arrived","opened","ignored"')
    assert f'"{snapshot.taken_at.isoformat()}","500","{snapshot.pushed}","{snapshot.arrived}"' in figures[1]
    assert "lookups.csv" in archive.namelist()


def test_asking_for_fresh_figures_makes_the_campaign_due_and_is_audited_but_auditors_only_read(cast, read_campaign):
    from pushadmin.analytics.models import CampaignSync

    CampaignSync.objects.filter(campaign=read_campaign).update(next_due_at=None)
    refresh = url("refresh", cast.workspace, campaign_id=read_campaign.pk)
    assert client_for(cast.auditor).post(refresh).status_code == 403
    assert client_for(cast.marketer).post(refresh).status_code == 302
    assert CampaignSync.objects.get(campaign=read_campaign).next_due_at is not None
    assert AuditEntry.objects.filter(action="analytics.refresh_asked", actor=cast.marketer).exists()
