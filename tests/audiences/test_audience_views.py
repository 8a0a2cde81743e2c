from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from pushadmin.audiences.importing import imports_dir, run_import
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus
from tests.fixtures.processes import wait_for
from tests.personas import Cast

XSS = '<script>alert("x")</script>'


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_url(cast: Cast) -> str:
    return reverse("audiences:create", kwargs={"workspace_id": cast.workspace.pk})


@pytest.mark.django_db
def test_an_upload_is_stored_under_a_random_name_and_queued(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("../../etc/passwd.csv", b"target,name\nu1,Ann\n", content_type="text/csv")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cast.marketer).post(
            create_url(cast), {"name": "VIP", "delivery_type": 3, "upload": upload}
        )
    assert response.status_code == 302
    job = AudienceImport.objects.get()
    assert job.status == ImportRunStatus.QUEUED and len(callbacks) == 1
    assert job.stored_name.endswith(".csv") and "passwd" not in job.stored_name
    assert (imports_dir() / job.stored_name).read_bytes() == b"target,name\nu1,Ann\n"
    run_import(job.pk)
    assert Audience.objects.get().current_members().get().values == {"name": "Ann"}


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_and_nothing_is_created(cast: Cast) -> None:
    upload = SimpleUploadedFile("big.csv", b"target\n" + b"u\n" * 600_000, content_type="text/csv")
    with override_settings(PUSHADMIN_MAX_UPLOAD_MB=1):
        response = client_for(cast.marketer).post(
            create_url(cast), {"name": "Big", "delivery_type": 3, "upload": upload}
        )
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()
    assert not Audience.objects.exists()


@pytest.mark.django_db
def test_a_pasted_list_of_targets_becomes_an_audience(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks():
        client_for(cast.marketer).post(
            create_url(cast), {"name": "Pasted", "delivery_type": 1, "pasted": "dev1\ndev2\n"}
        )
    run_import(AudienceImport.objects.get().pk)
    assert list(Audience.objects.get().current_members().values_list("target", flat=True)) == ["dev1", "dev2"]


@pytest.mark.django_db
def test_csv_cells_with_markup_show_as_text_in_the_report_and_members(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    text = f"target,name\n{XSS},{XSS}\n{XSS},again\n"
    with django_capture_on_commit_callbacks():
        client_for(cast.marketer).post(create_url(cast), {"name": "X", "delivery_type": 3, "pasted": text})
    job = run_import(AudienceImport.objects.get().pk)
    html = (
        client_for(cast.marketer)
        .get(reverse("audiences:detail", kwargs={"workspace_id": cast.workspace.pk, "audience_id": job.audience_id}))
        .content.decode()
    )
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 3
    assert "duplicate target (first on line 2)" in html


@pytest.mark.django_db
def test_audiences_of_another_workspace_are_not_found(cast: Cast) -> None:
    audience = Audience.objects.create(workspace=cast.workspace, name="Mine", created_by=cast.marketer)
    path = reverse("audiences:detail", kwargs={"workspace_id": cast.other_workspace.pk, "audience_id": audience.pk})
    assert client_for(cast.outsider).get(path).status_code == 404


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_upload_and_the_page_shows_the_report(cast: Cast, celery_worker: Any) -> None:
    rows = "".join(f"u{i};N{i};{i}\n" for i in range(3000)) + ";nobody;1\n"
    upload = SimpleUploadedFile("semi.csv", ("\ufefftarget;name;money\n" + rows).encode(), content_type="text/csv")
    marketer = client_for(cast.marketer)
    marketer.post(create_url(cast), {"name": "Worker", "delivery_type": 3, "upload": upload})
    job = AudienceImport.objects.get()
    wait_for(lambda: AudienceImport.objects.get(pk=job.pk).status == ImportRunStatus.DONE, timeout=90, what="import")
    page = marketer.get(
        reverse("audiences:detail", kwargs={"workspace_id": cast.workspace.pk, "audience_id": job.audience_id})
    )
    html = page.content.decode()
    assert "3000 imported" in html and "1 rejected" in html
    assert "empty target" in html and ">3002<" in html


@pytest.mark.django_db
def test_imports_stop_at_the_hourly_limit_and_nothing_is_created(cast: Cast, settings: Any) -> None:
    settings.PUSHADMIN_IMPORTS_PER_HOUR = 1
    client = client_for(cast.marketer)
    first = client.post(create_url(cast), {"name": "One", "delivery_type": 1, "pasted": "dev1\n"})
    second = client.post(create_url(cast), {"name": "Two", "delivery_type": 1, "pasted": "dev2\n"})
    assert first.status_code == 302
    assert second.status_code == 200 and "at most once per hour" in second.content.decode()
    assert list(Audience.objects.values_list("name", flat=True)) == ["One"]
