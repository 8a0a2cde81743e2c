"""Uploads are refused early and cheaply: by size while they stream in, by line length, by column count."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse

from pushadmin.accounts.models import ActionUse
from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus
from tests.personas import Cast

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
MAX_COLUMNS = 200


def marketer_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.marketer)
    return client


def create_url(cast: Cast) -> str:
    return reverse("audiences:create", kwargs={"workspace_id": cast.workspace.pk})


@pytest.fixture
def bytes_kept(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many bytes of uploads reached Django's memory and temporary-file handlers."""
    kept = {"bytes": 0}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def counting(self: Any, raw_data: bytes, start: int, original: Any = original) -> Any:
            if getattr(self, "activated", True):  # the memory handler passes on what it does not keep
                kept["bytes"] += len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return kept


def big_upload(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.csv", b"target\n" + b"u\n" * (size // 2), content_type="text/csv")


@pytest.mark.parametrize(
    ("form_limit", "most_kept"),
    [(10 * MB, 1 * MB), (100_000, 0)],
    ids=["stopped-while-streaming", "refused-by-declared-length"],
)
def test_an_upload_over_the_limit_never_reaches_the_temporary_folder_and_gets_a_field_error(
    cast: Cast, settings: Any, bytes_kept: dict[str, int], form_limit: int, most_kept: int
) -> None:
    settings.PUSHADMIN_MAX_UPLOAD_MB = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = form_limit
    response = marketer_client(cast).post(
        create_url(cast), {"upload": big_upload(4 * MB), "name": "Big", "delivery_type": 3}
    )
    assert response.status_code == 200
    assert "upload" in response.context["form"].errors
    assert "the limit is 1 MB" in response.content.decode()
    assert bytes_kept["bytes"] <= most_kept
    assert not Audience.objects.exists()


def test_refused_uploads_count_towards_the_hourly_import_limit(cast: Cast, settings: Any) -> None:
    settings.PUSHADMIN_MAX_UPLOAD_MB = 1
    settings.PUSHADMIN_IMPORTS_PER_HOUR = 1
    client = marketer_client(cast)
    refused = client.post(create_url(cast), {"name": "Big", "delivery_type": 3, "upload": big_upload(2 * MB)})
    assert "the limit is 1 MB" in refused.content.decode()
    assert ActionUse.objects.filter(user=cast.marketer, action="audience.import").count() == 1
    small = client.post(create_url(cast), {"name": "Small", "delivery_type": 1, "pasted": "dev1\n"})
    assert small.status_code == 200 and "at most once per hour" in small.content.decode()
    assert not Audience.objects.exists()


def import_chunks(cast: Cast, chunks: Iterator[bytes]) -> AudienceImport:
    stored, size = store_upload(chunks)
    name = f"Import {Audience.objects.count() + 1}"
    audience = Audience.objects.create(workspace=cast.workspace, name=name, created_by=cast.marketer)
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer
    )
    result = run_import(job.pk)
    assert result is not None
    return result


def test_a_40_mb_line_is_refused_by_its_number_without_reading_it_into_memory(cast: Cast) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"target,name\nu1,Ann\n"
        for _ in range(40):
            yield b"x" * MB

    tracemalloc.start()
    try:
        job = import_chunks(cast, chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 3 is longer than 1 MB")
    assert peak < 8 * MB, f"reading the file took {peak / MB:.0f} MB"


def test_an_audience_with_more_columns_than_the_limit_is_refused_with_the_count(cast: Cast) -> None:
    header = ",".join(["target", *(f"c{n}" for n in range(10_000))])
    job = import_chunks(cast, iter([header.encode() + b"\nu1\n"]))
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith(f"Line 1 names 10,001 columns; an audience may have at most {MAX_COLUMNS}")
    at_limit = ",".join(["target", *(f"c{n}" for n in range(MAX_COLUMNS - 1))])
    assert import_chunks(cast, iter([at_limit.encode() + b"\nu1\n"])).status == ImportRunStatus.DONE
