"""The suppression list page: add one, import a CSV file with a row report, remove with a reason; all audited."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pushadmin.audit.models import AuditEntry
from pushadmin.safety.models import Suppression, SuppressionReason
from tests.personas import Cast
from tests.safety.people import client_for

pytestmark = pytest.mark.django_db


def url(cast: Cast, tail: str = "") -> str:
    return f"/w/{cast.workspace.pk}/suppressions/{tail}"


def test_a_marketer_suppresses_one_target_with_a_reason_and_it_is_audited(cast: Cast) -> None:
    marketer = client_for(cast.marketer)

    response = marketer.post(url(cast, "add/"), {"target": " user-7 ", "reason": "complaint", "note": "ticket 42"})

    assert response.status_code == 302
    entry = Suppression.objects.get(workspace=cast.workspace)
    assert (entry.target, entry.reason, entry.note, entry.added_by) == (
        "user-7",
        "complaint",
        "ticket 42",
        cast.marketer,
    )
    audit = AuditEntry.objects.get(action="suppression.added")
    assert audit.detail == {"target": "user-7", "reason": "complaint", "note": "ticket 42"}
    page = marketer.get(url(cast)).content.decode()
    assert 'data-suppressed="user-7"' in page and "Complaint" in page and "mia.marketer" in page


def test_a_target_already_listed_or_a_bad_reason_is_refused_by_field_and_nothing_is_saved(cast: Cast) -> None:
    Suppression.objects.create(workspace=cast.workspace, target="user-7", reason=SuppressionReason.OPTED_OUT)
    marketer = client_for(cast.marketer)

    again = marketer.post(url(cast, "add/"), {"target": "user-7", "reason": "complaint"})
    bad = marketer.post(url(cast, "add/"), {"target": "user-8", "reason": "bored"})

    assert again.status_code == 400 and "is already on the suppression list (Opted out)" in again.content.decode()
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    assert list(Suppression.objects.values_list("target", "reason")) == [("user-7", "opted_out")]


def test_a_csv_import_adds_good_rows_and_reports_each_refused_row_with_its_line(cast: Cast) -> None:
    Suppression.objects.create(workspace=cast.workspace, target="already", reason=SuppressionReason.OPTED_OUT)
    text = (
        "target,reason,note\nu1,complaint,call centre\nu2,,\n,opted out,\nu3,spam,\n"
        "already,legal hold,\nu4,Legal hold,court 9\n"
    )
    upload = SimpleUploadedFile("optouts.csv", text.encode(), content_type="text/csv")

    response = client_for(cast.reviewer).post(url(cast, "import/"), {"upload": upload, "reason": "opted_out"})

    page = response.content.decode()
    assert response.status_code == 200 and "data-import-report" in page
    listed = dict(Suppression.objects.filter(workspace=cast.workspace).values_list("target", "reason"))
    assert listed == {"already": "opted_out", "u1": "complaint", "u2": "opted_out", "u4": "legal_hold"}
    assert "4 added" not in page and "3 added" in page and "1 already on the list" in page and "2 rejected" in page
    assert "<td>4</td><td></td><td>empty target</td>" in page
    assert "<td>5</td><td>u3</td><td>unknown reason “spam”" in page
    assert Suppression.objects.get(target="u1").source == "optouts.csv"
    audit = AuditEntry.objects.get(action="suppression.imported")
    assert audit.detail == {"file": "optouts.csv", "added": 3, "already_listed": 1, "rejected": 2}


def test_a_file_without_a_target_column_adds_nothing_and_says_why(cast: Cast) -> None:
    upload = SimpleUploadedFile("bad.csv", b"device,reason\nu1,complaint\n", content_type="text/csv")

    response = client_for(cast.marketer).post(url(cast, "import/"), {"upload": upload, "reason": "opted_out"})

    assert response.status_code == 400
    assert (
        "Nothing was added: Line 1 must name the columns and one must be &#x27;target&#x27;"
        in response.content.decode()
    )
    assert not Suppression.objects.exists()


def test_removal_needs_a_reason_is_audited_and_is_for_reviewers_and_admins_only(cast: Cast) -> None:
    entry = Suppression.objects.create(workspace=cast.workspace, target="user-9", reason=SuppressionReason.LEGAL_HOLD)
    remove = url(cast, f"{entry.pk}/remove/")

    assert client_for(cast.marketer).post(remove, {"why": "asked"}).status_code == 403
    client_for(cast.admin).post(remove, {"why": ""})
    assert Suppression.objects.filter(pk=entry.pk).exists()

    client_for(cast.admin).post(remove, {"why": "Hold lifted by legal, ref 77"})

    assert not Suppression.objects.filter(pk=entry.pk).exists()
    audit = AuditEntry.objects.get(action="suppression.removed")
    assert audit.detail == {"target": "user-9", "reason": "legal_hold", "why": "Hold lifted by legal, ref 77"}
    assert audit.actor == cast.admin


def test_another_workspaces_list_is_out_of_reach(cast: Cast) -> None:
    entry = Suppression.objects.create(workspace=cast.workspace, target="user-1", reason=SuppressionReason.OPTED_OUT)
    outsider = client_for(cast.outsider)

    assert outsider.get(url(cast)).status_code == 404
    assert (
        outsider.post(f"/w/{cast.other_workspace.pk}/suppressions/{entry.pk}/remove/", {"why": "x"}).status_code == 404
    )
    assert Suppression.objects.filter(pk=entry.pk).exists()
    assert "user-1" not in outsider.get(f"/w/{cast.other_workspace.pk}/suppressions/").content.decode()
