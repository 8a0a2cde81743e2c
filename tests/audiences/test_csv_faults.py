"""A CSV file never loses rows silently: stray quotes, late encodings and NUL bytes are named by line."""

from __future__ import annotations

import pytest

from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def import_bytes(cast: Cast, data: bytes) -> AudienceImport:
    stored, size = store_upload([data])
    name = f"List {Audience.objects.count() + 1}"
    audience = Audience.objects.create(workspace=cast.workspace, name=name, created_by=cast.marketer)
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer
    )
    result = run_import(job.pk)
    assert result is not None
    return result


def test_an_unmatched_quote_is_reported_on_its_line_instead_of_merging_the_next_lines(cast: Cast) -> None:
    job = import_bytes(cast, b'target,name\nu1,"Ann\nu2,Bob\nu3,Cy"\nu4,Dee\n')
    assert job.status == ImportRunStatus.DONE, job.error
    [(line, target, reason)] = job.rejected_rows.values_list("line_number", "target", "reason")
    assert (line, target) == (2, "u1")
    assert reason.startswith("a quoted value opens on this line and closes only on line 4, so lines 2 to 4")
    assert list(job.audience.current_members().values_list("target", flat=True)) == ["u4"]


def test_a_quote_left_open_to_the_end_of_the_file_fails_the_import_naming_its_line(cast: Cast) -> None:
    job = import_bytes(cast, b'target,name\nu1,Ann\nu2,"Bob\nu3,Cy\nu4,Dee\n')
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 3: a quoted value opens on this line and is never closed, so lines 3 to 5")
    assert not job.audience.current_members().exists()


def test_a_gbk_file_with_more_than_64_kb_of_ascii_first_is_read_as_gb18030(cast: Cast) -> None:
    ascii_rows = "".join(f"user{n},Name {n}\n" for n in range(8000))
    assert len(ascii_rows) > 64 * 1024
    job = import_bytes(cast, ("target,name\n" + ascii_rows + "zhang,张三\n").encode("gbk"))
    assert job.status == ImportRunStatus.DONE, job.error
    assert job.encoding == "gb18030"
    assert job.audience.current_members().get(target="zhang").values == {"name": "张三"}


def test_a_bad_byte_past_64_kb_of_utf8_text_is_still_refused_naming_its_line(cast: Cast) -> None:
    rows = "".join(f"user{n},张三 {n}\n" for n in range(8000)).encode()
    job = import_bytes(cast, b"target,name\n" + rows + b"u2,\xff\xfe\n")
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 8002 is not valid UTF-8")


def test_nul_bytes_are_refused_with_their_line_number(cast: Cast) -> None:
    job = import_bytes(cast, b"target,name\nu1,Zhang\nu2,Wa\x00ng\n")
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 3 contains a NUL byte")
    utf16 = import_bytes(cast, "target,name\nu1,Ann\n".encode("utf-16"))
    assert utf16.status == ImportRunStatus.FAILED and utf16.error.startswith("Line 1 contains a NUL byte")
