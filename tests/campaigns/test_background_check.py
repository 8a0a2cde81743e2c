"""A page never reads a large campaign's every row while a person waits: a worker checks them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from celery import current_app
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from pushadmin.campaigns import preflight as scans
from pushadmin.campaigns import rows
from pushadmin.campaigns.models import Campaign, CampaignStatus, RowsState
from tests.campaigns.composing import make_campaign
from tests.campaigns.test_rows_build import make_audience
from tests.fixtures.processes import wait_for
from tests.personas import Cast


def refuse_to_scan(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("a web request scanned every row of a large campaign")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_large_campaign_not_checked_yet_is_checked_by_a_worker_while_its_pages_answer_at_once(
    cast: Cast, celery_worker: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = scans.CACHE_FROM_ROWS + 10  # the worker's own threshold: it does not see this test's patches
    campaign = make_campaign(cast, [], audience=make_audience(cast, size))
    with transaction.atomic():
        rows.replace_rows_from_audience(campaign)
    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).rows_state == RowsState.READY, timeout=120, what="rows")

    # A version nobody has checked yet: one row loses its name, as an edit would leave it.
    campaign.messages.filter(seq=7).update(values={"money": "1"})
    Campaign.objects.filter(pk=campaign.pk).update(revision=F("revision") + 1)
    monkeypatch.setattr(scans, "_scan_rows", refuse_to_scan)
    monkeypatch.setattr(rows, "_with_problems", refuse_to_scan)
    # The pages' request to the worker is held back until they have been looked at, then sent as it was.
    held: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        scans, "current_app", SimpleNamespace(send_task=lambda *args, **kwargs: held.append((args, kwargs)))
    )

    client.force_login(cast.marketer)
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}
    builder = client.get(reverse("campaigns:edit", kwargs=kwargs))
    assert builder.status_code == 200
    assert "Checking every row for problems" in builder.content.decode()
    detail = client.get(reverse("campaigns:detail", kwargs=kwargs)).content.decode()
    assert f"The {size:,} rows are being checked in the background" in detail
    assert "nothing would be sent" not in detail, "no verdict on rows not read yet"
    assert "Rows with a problem: being checked" in builder.content.decode()
    client.post(reverse("campaigns:submit", kwargs=kwargs))
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT, "not submitted before it is checked"

    assert len(held) == 1, "one check per version of the rows, however many pages look"
    args, options = held[0]
    current_app.send_task(*args, **options)
    progress = reverse("campaigns:rows_progress", kwargs=kwargs)
    wait_for(
        lambda: client.get(progress, headers={"HX-Request": "true"}).get("HX-Refresh") == "true",
        timeout=120,
        what="the worker's check of the rows",
    )
    builder = client.get(reverse("campaigns:edit", kwargs=kwargs)).content.decode()
    assert "Checking every row" not in builder
    assert '<strong id="problem-count">1</strong>' in builder
    detail = client.get(reverse("campaigns:detail", kwargs=kwargs)).content.decode()
    assert "being checked" not in detail and "No value for #name#" in detail
