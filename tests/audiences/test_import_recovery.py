"""An import whose worker dies, or whose task is lost, ends complete or failed with a reason, never stuck."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pushadmin.audiences import importing, recovery
from pushadmin.audiences.importing import imports_dir, run_import, store_upload
from pushadmin.audiences.models import (
    MAX_IMPORT_TRIES,
    Audience,
    AudienceImport,
    AudienceMember,
    ImportRunStatus,
    ImportStatus,
    RejectedRow,
)
from pushadmin.audit.models import AuditEntry
from pushadmin.delivery import sweeper
from tests.fixtures.processes import WorkerProcess, wait_for
from tests.personas import Cast

BIG_FILE_ROWS = 600_000
BAD_LINES = {
    10_000: "empty target",
    300_000: "unknown column: 4 values but line 1 names 3 columns",
    590_000: "empty target",
}
AFTER_THE_LEASE = importing.IMPORT_LEASE + timedelta(seconds=1)


def big_file() -> bytes:
    lines = ["target,name,money"]
    for line in range(2, BIG_FILE_ROWS + 2):
        reason = BAD_LINES.get(line)
        if reason == "empty target":
            lines.append(f" ,Name {line},5")
        elif reason:
            lines.append(f"user{line},Name {line},5,surprise")
        else:
            lines.append(f"user{line},Name {line},{line % 1000}")
    return ("\n".join(lines) + "\n").encode()


def audience_with_members(cast: Cast, *targets: str) -> Audience:
    audience = Audience.objects.create(workspace=cast.workspace, name="Spring list", created_by=cast.marketer)
    if targets:
        queue_import(cast, audience, ("target,name,money\n" + "".join(f"{t},N,1\n" for t in targets)).encode())
        assert run_import(AudienceImport.objects.filter(audience=audience).latest("pk").pk) is not None
    return audience


def queue_import(cast: Cast, audience: Audience, data: bytes) -> AudienceImport:
    """What the upload view stores: the file, a queued import, the audience marked importing."""
    stored, size = store_upload([data])
    Audience.objects.filter(pk=audience.pk).update(import_status=ImportStatus.IMPORTING)
    return AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer, original_name="big.csv"
    )


def job_of(job: AudienceImport) -> AudienceImport:
    return AudienceImport.objects.get(pk=job.pk)


def kill_mid_import(worker: WorkerProcess, job: AudienceImport, try_number: int) -> AudienceImport:
    wait_for(
        lambda: job_of(job).tries == try_number and job_of(job).rows_read >= 20_000,
        timeout=120,
        what=f"try {try_number} to be well under way",
    )
    worker.kill()
    killed = job_of(job)
    assert killed.status == ImportRunStatus.RUNNING and killed.rows_read < BIG_FILE_ROWS, "killed too late"
    worker.start()
    return killed


def actions(audience: Audience) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(audience.pk)).order_by("seq").values_list("action", flat=True))


def audience_page(cast: Cast, audience: Audience) -> str:
    client = Client()
    client.force_login(cast.marketer)
    path = reverse("audiences:detail", kwargs={"workspace_id": cast.workspace.pk, "audience_id": audience.pk})
    return client.get(path).content.decode()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_resumes_and_ends_with_every_member_once(
    cast: Cast, celery_worker: WorkerProcess
) -> None:
    audience = audience_with_members(cast, "old1", "old2")
    job = queue_import(cast, audience, big_file())
    importing.enqueue(job.pk)
    killed = kill_mid_import(celery_worker, job, try_number=1)

    report = sweeper.sweep(timezone.now() + AFTER_THE_LEASE)
    assert report.recovered_jobs == [f"import {job.pk}: worker stopped during try 1, queued again"]
    wait_for(lambda: job_of(job).status == ImportRunStatus.DONE, timeout=180, what="the import to finish")

    finished = job_of(job)
    audience.refresh_from_db()
    good = BIG_FILE_ROWS - len(BAD_LINES)
    assert (finished.tries, finished.rows_read, finished.rows_imported, finished.rows_rejected) == (
        2,
        BIG_FILE_ROWS,
        good,
        len(BAD_LINES),
    )
    assert (audience.import_status, audience.member_count) == (ImportStatus.READY, good)
    # The half-written generation of the killed try is gone, and the old members go right after the switch.
    wait_for(lambda: AudienceMember.objects.filter(audience=audience).count() == good, timeout=30, what="no row twice")
    assert audience.current_members().values("target").distinct().count() == good
    assert not audience.current_members().filter(target__in=["old1", "old2"]).exists()
    assert list(RejectedRow.objects.filter(audience_import=job).values_list("line_number", "reason")) == sorted(
        BAD_LINES.items()
    )
    assert killed.rows_read < BIG_FILE_ROWS
    assert actions(audience)[-2:] == ["audience.import_interrupted", "audience.imported"]
    assert not (imports_dir() / job.stored_name).exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_import_interrupted_on_every_try_fails_with_the_reason_and_the_audience_keeps_its_members(
    cast: Cast, celery_worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recovery, "MAX_IMPORT_TRIES", 2)
    audience = audience_with_members(cast, "old1", "old2")
    job = queue_import(cast, audience, big_file())
    importing.enqueue(job.pk)

    kill_mid_import(celery_worker, job, try_number=1)
    sweeper.sweep(timezone.now() + AFTER_THE_LEASE)
    kill_mid_import(celery_worker, job, try_number=2)
    assert "Interrupted: the worker running the import stopped" in audience_page(cast, audience)
    report = sweeper.sweep(timezone.now() + AFTER_THE_LEASE)

    assert report.recovered_jobs == [f"import {job.pk}: failed after 2 interrupted tries"]
    failed = job_of(job)
    audience.refresh_from_db()
    assert failed.status == ImportRunStatus.FAILED
    assert failed.error.startswith("The import was interrupted 2 times: the worker running it stopped each time")
    assert (audience.import_status, audience.member_count) == (ImportStatus.FAILED, 2)
    assert sorted(audience.current_members().values_list("target", flat=True)) == ["old1", "old2"]
    assert AudienceMember.objects.filter(audience=audience).count() == 2, "the half-written members were left"
    assert not RejectedRow.objects.filter(audience_import=job).exists()
    assert not (imports_dir() / job.stored_name).exists()
    assert actions(audience)[-3:] == ["audience.imported", "audience.import_interrupted", "audience.import_failed"]
    entry = AuditEntry.objects.filter(action="audience.import_failed", object_id=str(audience.pk)).get()
    assert entry.detail["error"].startswith("The import was interrupted 2 times")
    html = audience_page(cast, audience)
    assert "The import failed: The import was interrupted 2 times" in html and "Try again" in html
    assert "Replace the members from a new file" in html

    # Nothing is left running: a late copy of the task finds nothing to do.
    assert run_import(job.pk) is None
    assert job_of(job).status == ImportRunStatus.FAILED


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_task_was_lost_is_sent_again_and_completes(cast: Cast, celery_worker: WorkerProcess) -> None:
    audience = audience_with_members(cast)
    job = queue_import(cast, audience, b"target,name\nu1,Ann\nu2,Bob\n")  # its task never reaches the broker
    assert sweeper.sweep().recovered_jobs == [], "sent again before it had time to start"

    later = timezone.now() + recovery.QUEUED_GRACE + timedelta(seconds=1)
    assert len(sweeper.sweep(later).recovered_jobs) == 1
    wait_for(lambda: job_of(job).status == ImportRunStatus.DONE, timeout=60, what="the import to finish")
    assert sorted(Audience.objects.get(pk=audience.pk).current_members().values_list("target", flat=True)) == [
        "u1",
        "u2",
    ]
    assert job_of(job).tries == 1


@pytest.mark.django_db
def test_a_duplicate_task_does_nothing_while_the_import_is_running(cast: Cast) -> None:
    audience = audience_with_members(cast)
    job = queue_import(cast, audience, b"target\nu1\n")
    lease_until = timezone.now() + importing.IMPORT_LEASE
    AudienceImport.objects.filter(pk=job.pk).update(
        status=ImportRunStatus.RUNNING, claim_token="live", lease_until=lease_until, tries=1
    )
    assert run_import(job.pk) is None
    assert sweeper.sweep().recovered_jobs == []
    job.refresh_from_db()
    assert (job.status, job.claim_token, job.tries, job.lease_until) == (
        ImportRunStatus.RUNNING,
        "live",
        1,
        lease_until,
    )
    assert not AudienceMember.objects.filter(audience=audience).exists()


@pytest.mark.django_db
def test_a_stalled_worker_writes_nothing_once_its_import_was_handed_to_another_run(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    audience = audience_with_members(cast)
    job = queue_import(cast, audience, b"target,name\nu1,Ann\nu2,Bob\n")
    stalled = importing._claim(job.pk, "stalled-run")
    assert stalled is not None

    assert sweeper.sweep(timezone.now() + AFTER_THE_LEASE).recovered_jobs
    assert job_of(job).status == ImportRunStatus.QUEUED
    assert run_import(job.pk) is not None  # the task the sweeper sent again

    with pytest.raises(importing.ClaimLost):
        importing.renew_claim(job.pk, "stalled-run", rows_read=1)
    with pytest.raises(importing.ClaimLost):
        importing.fail_claimed(stalled, "stalled-run", "should not land")
    done = job_of(job)
    assert (done.status, done.rows_imported, done.tries, done.error) == (ImportRunStatus.DONE, 2, 2, "")
    assert Audience.objects.get(pk=audience.pk).current_members().count() == 2


@pytest.mark.django_db
def test_the_page_says_an_interrupted_import_is_resuming_and_which_try_it_is(cast: Cast) -> None:
    audience = audience_with_members(cast)
    job = queue_import(cast, audience, b"target\nu1\n")
    AudienceImport.objects.filter(pk=job.pk).update(tries=1)  # queued again after its first worker died
    html = audience_page(cast, audience)
    assert "Interrupted: the worker running the import stopped before it finished." in html
    assert f"resuming from the start of the file (try 2 of {MAX_IMPORT_TRIES})" in html
