from __future__ import annotations

import random

import pytest

from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus, ImportStatus
from pushadmin.campaigns import rows
from pushadmin.campaigns.models import MissingDataPolicy
from pushadmin.campaigns.preflight import preflight
from tests.campaigns.composing import make_campaign
from tests.personas import Cast

pytestmark = pytest.mark.django_db

BAD_JSON_REASON = "Expecting property name enclosed in double quotes at character 2"


def make_audience(cast: Cast, name: str = "VIPs") -> Audience:
    return Audience.objects.create(workspace=cast.workspace, name=name, created_by=cast.marketer)


def import_bytes(cast: Cast, audience: Audience, data: bytes) -> AudienceImport:
    stored, size = store_upload([data])
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer, original_name="list.csv"
    )
    result = run_import(job.pk)
    assert result is not None
    return result


def report(job: AudienceImport) -> list[tuple[int, str]]:
    return list(job.rejected_rows.order_by("line_number").values_list("line_number", "reason"))


def test_a_100000_row_file_with_planted_bad_rows_yields_the_exact_report(cast: Cast) -> None:
    lines = ["target,name,money,extendedParams"]
    expected: list[tuple[int, str]] = []
    rng = random.Random(4)
    planted = sorted(rng.sample(range(2, 100_002), 60))
    kinds = ["empty", "duplicate", "json", "missing", "extra"]
    plan = {line: kinds[i % len(kinds)] for i, line in enumerate(planted)}
    for line in range(2, 100_002):
        kind = plan.get(line)
        target = f"user{line}"
        if kind == "empty":
            lines.append(f" ,Name {line},5,")
            expected.append((line, "empty target"))
        elif kind == "duplicate":
            lines.append("user2,Again,5,")
            expected.append((line, "duplicate target (first on line 2)"))
        elif kind == "json":
            lines.append(f'{target},N,5,"{{bad json"')
            expected.append((line, f"bad JSON in extendedParams: {BAD_JSON_REASON}"))
        elif kind == "missing":  # kept: the campaign's missing-data policy decides
            lines.append(f"{target},N,,")
        elif kind == "extra":
            lines.append(f"{target},N,5,,surprise")
            expected.append((line, "unknown column: 5 values but line 1 names 4 columns"))
        else:
            lines.append(f'{target},Name {line},{line % 1000},"{{""seg"":""{line % 7}""}}"')
    assert 2 not in plan
    job = import_bytes(cast, make_audience(cast), ("\n".join(lines) + "\n").encode())
    assert job.status == ImportRunStatus.DONE, job.error
    assert report(job) == expected
    assert (job.rows_read, job.rows_imported, job.rows_with_missing, job.rows_rejected) == (100_000, 99_952, 12, 48)
    audience = Audience.objects.get(pk=job.audience_id)
    assert audience.member_count == audience.current_members().count() == 99_952
    missing_line = next(line for line, kind in plan.items() if kind == "missing")
    assert audience.current_members().get(line_number=missing_line).values == {"name": "N"}
    assert audience.columns == ["name", "money"]
    member = audience.current_members().get(target="user3")
    assert member.line_number == 3
    assert (member.values, member.extended_params) == ({"name": "Name 3", "money": "3"}, {"seg": "3"})


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("gbk", "\t"), ("gb18030", ",")],
)
def test_encodings_and_separators_are_detected(cast: Cast, encoding: str, delimiter: str) -> None:
    text = delimiter.join(["target", "name", "money"]) + "\r\n" + delimiter.join(["u1", "张三", "200"]) + "\r\n"
    job = import_bytes(cast, make_audience(cast), text.encode(encoding))
    assert job.status == ImportRunStatus.DONE, job.error
    assert job.delimiter == delimiter
    assert job.audience.current_members().get().values == {"name": "张三", "money": "200"}


def test_a_quoted_cell_spanning_lines_is_reported_and_the_next_rows_keep_their_line_numbers(cast: Cast) -> None:
    job = import_bytes(cast, make_audience(cast), b'target,name\nu1,"two\nlines"\n,x\n')
    assert [(line, reason[:60]) for line, reason in report(job)] == [
        (2, "a quoted value opens on this line and closes only on line 3,"),
        (4, "empty target"),
    ]


def test_a_failed_import_leaves_the_audience_as_it_was(cast: Cast) -> None:
    audience = make_audience(cast)
    first = import_bytes(cast, audience, b"target,name\nu1,Ann\nu2,Bob\n")
    assert first.status == ImportRunStatus.DONE
    broken = b"target,name\n" + b"".join(f"n{i},x\n".encode() for i in range(12_000)) + b"u3,\xff\xfe\xfa broken\n"
    job = import_bytes(cast, audience, broken)
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 12002 is not valid UTF-8")
    audience.refresh_from_db()
    assert audience.import_status == ImportStatus.FAILED
    assert sorted(audience.current_members().values_list("target", flat=True)) == ["u1", "u2"]
    assert audience.members.count() == 2, "rows of the failed import must not linger"


def test_a_file_without_a_target_column_is_refused_with_the_reason(cast: Cast) -> None:
    job = import_bytes(cast, make_audience(cast), b"user,name\nu1,Ann\n")
    assert job.status == ImportRunStatus.FAILED
    assert "must be 'target'" in job.error


def test_a_second_import_replaces_the_members(cast: Cast) -> None:
    audience = make_audience(cast)
    import_bytes(cast, audience, b"target,name\nu1,Ann\n")
    import_bytes(cast, audience, b"target,name\nu9,Zed\n")
    audience.refresh_from_db()
    assert list(audience.current_members().values_list("target", flat=True)) == ["u9"]
    assert audience.members.count() == 1


def test_a_file_over_the_row_limit_is_refused_and_the_audience_keeps_its_members(cast: Cast, settings: object) -> None:
    settings.PUSHADMIN_MAX_AUDIENCE_ROWS = 12_000  # type: ignore[attr-defined]
    audience = make_audience(cast)
    import_bytes(cast, audience, b"target,name\nu1,Ann\n")
    too_many = b"target,name\n" + b"".join(f"n{i},x\n".encode() for i in range(12_001))
    job = import_bytes(cast, audience, too_many)
    assert job.status == ImportRunStatus.FAILED
    assert job.error.startswith("Line 12002: the file has more than 12,000 rows")
    audience.refresh_from_db()
    assert list(audience.current_members().values_list("target", flat=True)) == ["u1"]
    assert audience.members.count() == 1


@pytest.mark.parametrize(
    ("policy", "blocks", "to_send"),
    [(MissingDataPolicy.BLOCK, True, 2), (MissingDataPolicy.SKIP, False, 1)],
)
def test_an_imported_row_with_a_missing_value_meets_the_campaigns_policy(
    cast: Cast, policy: str, blocks: bool, to_send: int
) -> None:
    job = import_bytes(cast, make_audience(cast), b"target,name,money\nuser1,Li,5\nuser2,Wang,\n")
    assert (job.rows_imported, job.rows_with_missing, job.rows_rejected) == (2, 1, 0)
    campaign = make_campaign(cast, [], audience=Audience.objects.get(pk=job.audience_id), missing_policy=policy)
    rows.replace_rows_from_audience(campaign)
    report = preflight(campaign)
    assert report.blocks_submission is blocks
    assert report.rows_to_send == to_send
    assert [(p.seq, p.message) for p in report.problems] == [(2, "No value for #money#.")]


def test_the_rejected_rows_download_as_a_safe_csv_with_line_and_reason(cast: Cast) -> None:
    from django.test import Client
    from django.urls import reverse

    from pushadmin.audit.models import AuditEntry

    job = import_bytes(cast, make_audience(cast), b"target,name,money\nuser1,Li,5\n ,Wang,6\nuser1,=1+1,7\n")
    client = Client()
    client.force_login(cast.auditor)
    url = reverse("audiences:rejected_csv", kwargs={"workspace_id": cast.workspace.pk, "audience_id": job.audience_id})
    response = client.get(url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.splitlines() == [
        '"Line","Target","Reason"',
        '"3","","empty target"',
        '"4","user1","duplicate target (first on line 2)"',
    ]
    assert AuditEntry.objects.get(action="audience.rejected_rows_downloaded").detail == {"import": job.pk, "rows": 2}
