"""Every metric moves while a real worker sends to the sandbox, and /metrics adds up all processes.

The samples of the worker's processes and of this test process meet in the shared
PROMETHEUS_MULTIPROC_DIR, so the test compares a scrape before with scrapes during and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from pushadmin.audiences.models import AudienceImport, ImportRunStatus
from pushadmin.campaigns import rows
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, RowsState
from pushadmin.delivery import dispatch, sweeper
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, BatchStatus, Message, MessageStatus
from tests.campaigns.composing import make_campaign
from tests.campaigns.test_rows_build import make_audience
from tests.delivery.campaigns import approve, demo_template, draft_campaign, point_at
from tests.fixtures.processes import wait_for
from tests.personas import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "metrics-token-for-the-send-test"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape() -> Samples:
    page = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page.content.decode())
        for sample in family.samples
    }


def scrape_once(condition: Callable[[Samples], bool]) -> Samples | None:
    samples = scrape()
    return samples if condition(samples) else None


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (found, have), value in samples.items() if found == name and wanted <= have)


def moved(before: Samples, after: Samples) -> Callable[..., float]:
    return lambda name, **labels: total(after, name, **labels) - total(before, name, **labels)


def ended(campaign: Campaign) -> bool:
    status = Campaign.objects.get(pk=campaign.pk).status
    return status in (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED, CampaignStatus.PAUSED)


def a_batch_left_in_flight_by_a_dead_worker(cast: Cast) -> Campaign:
    """What a worker killed mid-call leaves: a batch in flight whose lease has run out."""
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 40, name="Orphaned"), cast.reviewer)
    with transaction.atomic():
        campaign = transition(
            campaign, CampaignStatus.SENDING, action="campaign.sending_started", expected=[CampaignStatus.APPROVED]
        )
        Batch.objects.create(
            campaign=campaign,
            seq=1,
            status=BatchStatus.IN_FLIGHT,
            claim_token="a-worker-that-died",
            lease_until=timezone.now() - timedelta(seconds=5),
            attempts=1,
            queued_at=timezone.now(),
        )
    return campaign


def test_every_metric_moves_during_a_real_send(
    cast: Cast, mpaas_sandbox: Any, celery_worker: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PUSHADMIN_METRICS_TOKEN = TOKEN
    before = scrape()

    # A send whose calls take a while, one of whose answers is lost on the way back.
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=200)
    mpaas_sandbox.faults(latencyMs=400, dropAfterAccept=0.3, seed=1)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 500), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: total(scrape(), "pushadmin_mpaas_calls_in_flight") >= 1, timeout=30, interval=0.05, what="a call")
    wait_for(lambda: ended(campaign), timeout=60, what="the campaign to end")
    mpaas_sandbox.faults(latencyMs=0, dropAfterAccept=0.0)

    # A workspace whose secret is wrong: its campaign pauses itself.
    other = point_at(cast.other_workspace, mpaas_sandbox.url, calls_per_second=200)
    other.set_secret("not-the-secret-the-sandbox-knows")
    other.save()
    refused = approve(draft_campaign(other, cast.outsider, 100, name="Wrong key"), cast.outsider)
    dispatch.on_approved(refused.pk)
    wait_for(lambda: ended(refused), timeout=30, what="the campaign with a wrong secret to pause")

    orphaned = a_batch_left_in_flight_by_a_dead_worker(cast)
    wait_for(lambda: ended(orphaned), timeout=30, what="the sweeper to take the batch back")

    # An audience import and a row build, both run by the worker.
    marketer = Client()
    marketer.force_login(cast.marketer)
    upload = SimpleUploadedFile("a.csv", b"target,name,money\nu1,A,1\nu2,B,2\n", content_type="text/csv")
    marketer.post(
        reverse("audiences:create", kwargs={"workspace_id": cast.workspace.pk}),
        {"name": "Metrics", "delivery_type": 3, "upload": upload},
    )
    wait_for(lambda: AudienceImport.objects.filter(status=ImportRunStatus.DONE).exists(), timeout=60, what="import")
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    composed = make_campaign(
        cast, [], audience=make_audience(cast, 50), template=demo_template(cast.workspace, cast.marketer)
    )
    with transaction.atomic():
        rows.replace_rows_from_audience(composed)
    wait_for(lambda: Campaign.objects.get(pk=composed.pk).rows_state == RowsState.READY, timeout=60, what="rows")

    after = wait_for(
        lambda: scrape_once(lambda s: total(s, "pushadmin_campaign_row_build_seconds_count") > 0),
        timeout=10,
        what="the row build to be counted",
    )
    delta = moved(before, after)
    accepted = Message.objects.filter(status=MessageStatus.ACCEPTED).count()
    unknown = Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN).count()
    assert unknown, "the dropped answer left no unknown outcome"
    calls = Attempt.objects.exclude(code=sweeper.WORKER_LOST)  # every call made is an attempt row
    assert delta("pushadmin_mpaas_calls_total", outcome="accepted", code_class="success") == (
        calls.filter(outcome=AttemptResult.ACCEPTED).count()
    )
    assert delta("pushadmin_mpaas_calls_total", outcome="ambiguous", code_class="no_reply") == (
        calls.filter(outcome=AttemptResult.AMBIGUOUS).count()
    )
    assert delta("pushadmin_mpaas_calls_total", outcome="config_error", code_class="gateway") == 1
    assert delta("pushadmin_mpaas_calls_total") == calls.count() >= 5
    assert delta("pushadmin_mpaas_call_seconds_count") == delta("pushadmin_mpaas_calls_total")
    assert delta("pushadmin_mpaas_call_seconds_bucket", le="0.25") < delta("pushadmin_mpaas_call_seconds_count")
    assert delta("pushadmin_messages_total", state="accepted") == accepted
    assert delta("pushadmin_messages_total", state="unknown") == unknown + 40
    assert delta("pushadmin_unknown_outcome_messages_total", cause="ambiguous_answer") == unknown
    assert delta("pushadmin_unknown_outcome_messages_total", cause="worker_lost") == 40
    assert delta("pushadmin_sweeper_expired_leases_total", action="marked_unknown") == 1
    assert delta("pushadmin_campaign_auto_pauses_total", reason="settings_refused") == 1
    assert delta("pushadmin_audience_import_seconds_count", outcome="done") == 1
    assert delta("pushadmin_campaign_row_build_seconds_count", outcome="done") == 1
    assert total(after, "pushadmin_mpaas_calls_in_flight") == 0
    assert total(after, "pushadmin_broker_reachable") == 1
    assert ("pushadmin_broker_queue_messages", frozenset({("queue", settings.CELERY_TASK_DEFAULT_QUEUE)})) in after
