"""A row build whose worker dies, or whose task is lost, ends complete or failed with a reason, never stuck."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns import recovery, rows
from pushadmin.campaigns.models import Campaign, RowsState
from pushadmin.delivery import sweeper
from pushadmin.delivery.models import Message
from tests.campaigns.composing import make_campaign
from tests.fixtures.processes import WorkerProcess, wait_for
from tests.personas import Cast

BIG_AUDIENCE = 150_000
AFTER_THE_LEASE = rows.BUILD_LEASE + timedelta(seconds=1)


def audience_of(cast: Cast, size: int, name: str = "Spring list") -> Audience:
    audience = Audience.objects.create(workspace=cast.workspace, name=name, created_by=cast.marketer)
    data = "target,name,money\n" + "".join(f"{name[0]}user{i},Name {i},{i % 1000}\n" for i in range(size))
    stored, length = store_upload([data.encode()])
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=length, created_by=cast.marketer
    )
    assert run_import(job.pk) is not None
    audience.refresh_from_db()
    assert audience.member_count == size
    return audience


def campaign_of(campaign: Campaign) -> Campaign:
    return Campaign.objects.get(pk=campaign.pk)


def start_build(campaign: Campaign) -> None:
    with transaction.atomic():
        rows.replace_rows_from_audience(campaign)  # as the builder does when the audience is chosen


def kill_mid_build(worker: WorkerProcess, campaign: Campaign, try_number: int) -> None:
    wait_for(
        lambda: campaign_of(campaign).rows_tries == try_number and campaign_of(campaign).rows_built >= 15_000,
        timeout=120,
        what=f"try {try_number} to be well under way",
    )
    worker.kill()
    killed = campaign_of(campaign)
    assert killed.rows_state == RowsState.BUILDING and killed.rows_built < BIG_AUDIENCE, "killed too late"
    worker.start()


def builder_page(cast: Cast, campaign: Campaign) -> str:
    client = Client()
    client.force_login(cast.marketer)
    path = reverse("campaigns:edit", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    return client.get(path).content.decode()


def actions(campaign: Campaign) -> list[str]:
    entries = AuditEntry.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk)).order_by("seq")
    return list(entries.values_list("action", flat=True))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_build_whose_worker_is_killed_resumes_and_ends_with_every_row_once(
    cast: Cast, celery_worker: WorkerProcess
) -> None:
    audience = audience_of(cast, BIG_AUDIENCE)
    campaign = make_campaign(cast, [], audience=audience)
    start_build(campaign)
    kill_mid_build(celery_worker, campaign, try_number=1)

    report = sweeper.sweep(timezone.now() + AFTER_THE_LEASE)
    assert report.recovered_jobs == [f"build of campaign {campaign.pk}: worker stopped during try 1, queued again"]
    wait_for(lambda: campaign_of(campaign).rows_state == RowsState.READY, timeout=180, what="the rows")

    built = campaign_of(campaign)
    assert (built.rows_tries, built.rows_built, built.rows_expected) == (2, BIG_AUDIENCE, BIG_AUDIENCE)
    seq_key_target = list(
        Message.objects.filter(campaign=campaign).order_by("seq").values_list("seq", "msg_key", "target")
    )
    members = list(audience.current_members().order_by("pk").values_list("target", flat=True))
    assert len(seq_key_target) == BIG_AUDIENCE
    assert [seq for seq, _, _ in seq_key_target] == list(range(1, BIG_AUDIENCE + 1))
    assert all(key == campaign.msg_key_for(seq) for seq, key, _ in seq_key_target)
    assert [target for _, _, target in seq_key_target] == members
    assert "campaign.rows_interrupted" in actions(campaign)
    assert "Creating rows" not in builder_page(cast, campaign)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_build_interrupted_on_every_try_fails_with_the_reason_on_the_builder(
    cast: Cast, celery_worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recovery, "MAX_BUILD_TRIES", 2)
    campaign = make_campaign(cast, [], audience=audience_of(cast, BIG_AUDIENCE))
    start_build(campaign)

    kill_mid_build(celery_worker, campaign, try_number=1)
    sweeper.sweep(timezone.now() + AFTER_THE_LEASE)
    kill_mid_build(celery_worker, campaign, try_number=2)
    assert "Interrupted: the worker creating the rows stopped" in builder_page(cast, campaign)
    report = sweeper.sweep(timezone.now() + AFTER_THE_LEASE)

    assert report.recovered_jobs == [f"build of campaign {campaign.pk}: failed after 2 interrupted tries"]
    failed = campaign_of(campaign)
    assert failed.rows_state == RowsState.FAILED
    assert failed.rows_error.startswith("it was interrupted 2 times: the worker creating the rows stopped each time")
    assert not Message.objects.filter(campaign=campaign).exists(), "the partial rows were left"
    assert actions(campaign)[-2:] == ["campaign.rows_interrupted", "campaign.rows_failed"]
    html = builder_page(cast, campaign)
    assert "Creating the rows failed: it was interrupted 2 times" in html and "Try again" in html
    assert "Build the rows again" in html

    rows.build_rows(campaign.pk)  # a late copy of the task
    assert campaign_of(campaign).rows_state == RowsState.FAILED
    assert not Message.objects.filter(campaign=campaign).exists()


@pytest.mark.django_db
def test_a_stalled_worker_writes_no_row_once_its_build_was_handed_to_another_task(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    monkeypatch.setattr(rows, "CHUNK", 7)
    campaign = make_campaign(cast, [], audience=audience_of(cast, 25))
    with django_capture_on_commit_callbacks():
        rows.replace_rows_from_audience(campaign)
    assert rows._claim_build(campaign.pk, "stalled-task")

    with django_capture_on_commit_callbacks() as sent:
        assert sweeper.sweep(timezone.now() + AFTER_THE_LEASE).recovered_jobs
    assert len(sent) == 1
    rows.build_rows(campaign.pk)  # the task the sweeper sent again

    with pytest.raises(rows.BuildClaimLost):
        rows._renew_build(campaign.pk, "stalled-task", rows_built=7)
    with pytest.raises(rows.BuildClaimLost):
        rows.fail_build(campaign.pk, "stalled-task", "should not land")
    built = campaign_of(campaign)
    assert (built.rows_state, built.rows_built, built.rows_tries, built.rows_error) == (RowsState.READY, 25, 2, "")
    assert list(campaign.messages.order_by("seq").values_list("seq", flat=True)) == list(range(1, 26))


@pytest.mark.django_db
def test_choosing_another_audience_stops_the_build_of_the_first(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    campaign = make_campaign(cast, [], audience=audience_of(cast, 20, "First"))
    with django_capture_on_commit_callbacks():
        rows.replace_rows_from_audience(campaign)
    assert rows._claim_build(campaign.pk, "first-audience")

    campaign.audience = audience_of(cast, 12, "Second")
    campaign.save(update_fields=["audience"])
    with django_capture_on_commit_callbacks():
        rows.replace_rows_from_audience(campaign)
    with pytest.raises(rows.BuildClaimLost):
        rows._renew_build(campaign.pk, "first-audience", rows_built=5)
    rows.build_rows(campaign.pk)
    assert sorted(campaign.messages.values_list("target", flat=True)) == sorted(f"Suser{i}" for i in range(12))


@pytest.mark.django_db
def test_a_build_whose_task_was_lost_is_sent_again_and_a_duplicate_task_does_nothing(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    campaign = make_campaign(cast, [], audience=audience_of(cast, 30))
    with django_capture_on_commit_callbacks():  # the task is lost on its way to the broker
        rows.replace_rows_from_audience(campaign)
    assert sweeper.sweep().recovered_jobs == [], "sent again before it had time to start"

    with django_capture_on_commit_callbacks() as sent:
        later = timezone.now() + recovery.QUEUED_GRACE + timedelta(seconds=1)
        assert sweeper.sweep(later).recovered_jobs == [f"build of campaign {campaign.pk}: not started, task sent again"]
    assert len(sent) == 1
    rows.build_rows(campaign.pk)
    rows.build_rows(campaign.pk)  # the copy the broker still held
    built = campaign_of(campaign)
    assert (built.rows_state, built.rows_tries, campaign.messages.count()) == (RowsState.READY, 1, 30)


@pytest.mark.django_db
def test_the_builder_says_an_interrupted_build_is_resuming(cast: Cast) -> None:
    campaign = make_campaign(
        cast, [], audience=audience_of(cast, 3), rows_state=RowsState.BUILDING, rows_expected=3, rows_tries=1
    )  # queued again after its first worker died
    html = builder_page(cast, campaign)
    assert "Interrupted: the worker creating the rows stopped before it finished." in html
    assert "Creating rows: 0 of 3" in html


def rebuild(cast: Cast, campaign: Campaign, user: Any = None) -> Any:
    client = Client()
    client.force_login(user or cast.marketer)
    path = reverse("campaigns:rebuild_rows", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    return client.post(path, follow=True)


@pytest.mark.django_db
def test_a_failed_build_is_built_again_in_one_click_and_only_a_failed_one(cast: Cast) -> None:
    campaign = make_campaign(
        cast, [], audience=audience_of(cast, 30), rows_state=RowsState.FAILED, rows_error="it was interrupted 3 times"
    )
    assert rebuild(cast, campaign, cast.reviewer).status_code == 403
    assert campaign_of(campaign).rows_state == RowsState.FAILED

    page = rebuild(cast, campaign).content.decode()

    built = campaign_of(campaign)
    assert (built.rows_state, built.rows_error, built.messages.count()) == (RowsState.READY, "", 30)
    assert "Building the rows again from “Spring list”." in page and "Build the rows again" not in page
    assert actions(campaign)[-1] == "campaign.edited" and built.revision == campaign.revision + 1

    again = rebuild(cast, campaign).content.decode()
    assert "did not fail to build; nothing was started" in again
    assert campaign_of(campaign).revision == built.revision, "a refused rebuild still counted as an edit"
    assert campaign_of(campaign).messages.count() == 30
