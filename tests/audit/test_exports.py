from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audit.exports import csv_lines, neutralise
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.reviews.approving import Shown, approve
from tests.personas import TEST_SECRET, Cast
from tests.reviews.campaign_rows import make_campaign, request_by


@pytest.mark.parametrize("cell", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_as_a_formula_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"])
def test_a_formula_trigger_after_any_separator_a_spreadsheet_may_use_is_neutralised(
    separator: str, trigger: str
) -> None:
    assert neutralise(f"Launch {separator}{trigger}1+1{separator}") == f"Launch {separator}'{trigger}1+1{separator}"
    assert neutralise(f"{trigger}cmd") == f"'{trigger}cmd"


def test_every_cell_is_quoted() -> None:
    assert "".join(csv_lines(["Id", "Name"], [[7, "Zhang San"], [None, ""]], bom=False)) == (
        '"Id","Name"\r\n"7","Zhang San"\r\n"",""\r\n'
    )


def test_csv_is_written_only_by_the_shared_safe_writer() -> None:
    from pathlib import Path

    import pushadmin

    root = Path(pushadmin.__file__).parent
    writers = [path.relative_to(root) for path in root.rglob("*.py") if "csv.writer(" in path.read_text()]
    assert writers == [Path("audit/exports.py")]


def test_ordinary_cells_are_left_alone() -> None:
    assert [neutralise(v) for v in ("Zhang San", 200, None, "a=b")] == ["Zhang San", "200", "", "a=b"]
    assert neutralise({"a": "张"}) == '{"a": "张"}'


def test_csv_lines_quote_commas_and_newlines() -> None:
    text = "".join(csv_lines(["a"], [["x,y"], ["line\nbreak"]], bom=False))
    assert list(csv.reader(io.StringIO(text))) == [["a"], ["x,y"], ["line\nbreak"]]


def download(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_filtered_message_list_exports_every_matching_row_safely(cast: Cast) -> None:
    rows = [('=HYPERLINK("x")', {"name": "A", "money": "1"}), ("userid2", {"name": "B", "money": "2"})]
    campaign = make_campaign(cast.workspace, cast.marketer, rows=rows)
    client = Client()
    client.force_login(cast.auditor)
    url = reverse("audit:export", kwargs={"workspace_id": cast.workspace.pk, "kind": "messages"})
    response = client.get(url, {"campaign": campaign.pk})
    assert response.streaming and response["Content-Disposition"].startswith("attachment;")
    table = list(csv.reader(io.StringIO(download(response).decode("utf-8-sig"))))
    assert table[0][:4] == ["Id", "Campaign", "Row", "Target"]
    assert [row[3] for row in table[1:]] == ["userid2", '\'=HYPERLINK("x")']


@pytest.mark.django_db
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_campaign_name_with_a_formula_after_a_semicolon_exports_safe_for_every_reader(
    cast: Cast, delimiter: str
) -> None:
    make_campaign(cast.workspace, cast.marketer, name="Spring ;=1+1; |@SUM(A1)")
    client = Client()
    client.force_login(cast.auditor)
    url = reverse("audit:export", kwargs={"workspace_id": cast.workspace.pk, "kind": "campaigns"})
    text = download(client.get(url)).decode("utf-8-sig")
    assert "Spring ;'=1+1; |'@SUM(A1)" in text
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    assert not [cell for cell in cells if cell.strip('"').startswith(("=", "+", "-", "@"))], text


@pytest.mark.django_db
def test_the_evidence_pack_holds_content_approvals_outcomes_and_a_verified_trail_excerpt(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    campaign = submit_for_review(campaign, request=request_by(cast.marketer))
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    campaign = record_edit(campaign, request=request_by(cast.marketer))
    client = Client()
    client.force_login(cast.auditor)
    url = reverse("audit:evidence_pack", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    response = client.get(url)
    assert response.streaming and response["Content-Type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(download(response)))
    names = set(pack.namelist())
    assert {"README.txt", "campaign.json", "approvals.csv", "messages.csv", "calls.csv", "trail.csv"} <= names
    assert "congratulations on winning #money# yuan" in pack.read("campaign.json").decode()
    approvals = list(csv.DictReader(io.StringIO(pack.read("approvals.csv").decode("utf-8-sig"))))
    assert approvals[0]["reviewer"] == "rob.reviewer" and approvals[0]["void_reason"] == "edited after submission"
    messages = list(csv.DictReader(io.StringIO(pack.read("messages.csv").decode("utf-8-sig"))))
    assert [m["Target"] for m in messages] == ["userid1024", "userid1025", "userid1026"]
    assert messages[0]["State"] == "Not sent yet" and messages[0]["MsgKey"] == campaign.msg_key_for(1)
    trail = list(csv.DictReader(io.StringIO(pack.read("trail.csv").decode("utf-8-sig"))))
    assert [t["action"] for t in trail] == [
        "campaign.submitted",
        "campaign.approved",
        "campaign.edited",
        "campaign.approval_voided",
        "campaign.evidence_exported",
    ]
    assert trail[-1]["actor"] == "ada.auditor"
    assert all(t["hash_ok"] == "True" and t["linked"] == "True" for t in trail)
    assert all(TEST_SECRET.encode() not in pack.read(name) for name in names)


@pytest.mark.django_db
def test_the_evidence_pack_streams_in_bounded_chunks(cast: Cast) -> None:
    from pushadmin.audit.evidence import evidence_pack

    rows = [(f"user{n}", {"name": "x" * 50, "money": str(n)}) for n in range(6000)]
    campaign = make_campaign(cast.workspace, cast.marketer, rows=rows)
    chunks = [len(chunk) for chunk in evidence_pack(campaign, "ada.auditor")]
    assert len(chunks) > 3 and max(chunks) < 1_000_000
