"""Auditors see their workspace's numbers and checks only; the whole chain is checked by a worker, for staff."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from pushadmin.audit import chain_checks, trail
from pushadmin.audit.models import AuditEntry, ChainCheck, ChainCheckStatus
from pushadmin.workspaces.models import Workspace
from tests.fixtures.processes import wait_for
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def trail_url(cast: Cast, name: str = "trail") -> str:
    return reverse(f"audit:{name}", kwargs={"workspace_id": cast.workspace.pk})


def act(workspace: Workspace, times: int = 1) -> list[AuditEntry]:
    return [trail.record("test.event", actor_label="tester", workspace=workspace) for _ in range(times)]


def interleaved(cast: Cast) -> list[AuditEntry]:
    """Three entries of workspace A with two of B between them: A, B, B, A, A."""
    ours = act(cast.workspace)
    act(cast.other_workspace, 2)
    return ours + act(cast.workspace, 2)


@pytest.fixture
def no_verification_in_requests(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Verifying fails the test until the test lets the worker's part run (`.undo()`)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the trail was verified inside a request")

    monkeypatch.setattr(chain_checks, "verify_chain", refuse)
    monkeypatch.setattr(chain_checks, "verify_workspace", refuse)
    return monkeypatch


def test_the_trail_numbers_entries_within_the_workspace_so_others_activity_does_not_show(cast: Cast) -> None:
    interleaved(cast)
    auditor = client_for(cast.auditor)
    page = auditor.get(trail_url(cast), {"action": "test."})
    assert [cells[0] for _, cells in page.context["rows"]] == [3, 2, 1]
    assert "installation" not in page.content.decode()
    export = auditor.get(reverse("audit:export", kwargs={"workspace_id": cast.workspace.pk, "kind": "trail"}))
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert table[0][0] == "No." and [row[0] for row in table[1:]] == ["3", "2", "1"]


def test_later_pages_of_the_trail_are_addressed_by_the_workspace_number(cast: Cast) -> None:
    interleaved(cast)
    act(cast.workspace, 60)
    first = client_for(cast.auditor).get(trail_url(cast))
    assert first.context["next_before"] == 14  # 63 entries, 50 on a page


def test_an_auditor_verifies_the_workspace_in_the_background_and_sees_its_own_count(
    cast: Cast, no_verification_in_requests: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    interleaved(cast)
    auditor = client_for(cast.auditor)
    with django_capture_on_commit_callbacks() as queued:
        assert auditor.post(trail_url(cast, "trail_verify")).status_code == 302
    check = ChainCheck.objects.get()
    assert (check.workspace, check.status, len(queued)) == (cast.workspace, ChainCheckStatus.QUEUED, 1)
    assert "Checking the entries of this workspace" in auditor.get(trail_url(cast)).content.decode()
    no_verification_in_requests.undo()
    assert chain_checks.run_check(check.pk) is not None
    act(cast.other_workspace, 5)
    fragment = auditor.get(trail_url(cast, "trail_check"), HTTP_HX_REQUEST="true").content.decode()
    assert "Intact: all 3 entries of this workspace verified" in fragment
    assert "hx-trigger" not in fragment, "a finished check is not polled"


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL refuses the edit itself (tests/audit/test_trail.py)"
)
def test_a_broken_workspace_trail_is_named_by_the_workspace_number(cast: Cast) -> None:
    ours = interleaved(cast)
    AuditEntry.objects.filter(pk=ours[1].pk).update(actor_label="someone else")
    assert trail.verify_workspace(cast.workspace.pk) == (
        1,
        trail.ChainBreak(2, ours[1].pk, "its content does not match its hash (edited)"),
    )
    AuditEntry.objects.filter(pk=ours[1].pk).delete()
    checked, broken = trail.verify_workspace(cast.workspace.pk)
    assert broken is not None and (checked, broken.seq) == (1, 2)
    assert broken.reason == "entry No. 2 is missing (the next one is No. 3)"


def test_only_installation_administrators_check_the_whole_chain_and_a_worker_runs_it(
    cast: Cast, no_verification_in_requests: pytest.MonkeyPatch
) -> None:
    interleaved(cast)
    for person in (cast.auditor, cast.admin):
        assert client_for(person).get(reverse("audit:installation_chain")).status_code == 403
    staff = client_for(get_user_model().objects.create_user("sam.staff", password="x", is_staff=True))
    assert staff.post(reverse("audit:installation_chain")).status_code == 302
    check = ChainCheck.objects.get()
    assert check.workspace is None and check.status == ChainCheckStatus.QUEUED
    assert staff.post(reverse("audit:installation_chain")).status_code == 302
    assert ChainCheck.objects.count() == 1, "a pending check is not queued twice"
    no_verification_in_requests.undo()
    chain_checks.run_check(check.pk)
    page = staff.get(reverse("audit:installation_chain")).content.decode()
    assert f"Intact: all {AuditEntry.objects.count()} entries of the installation verified" in page


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_the_whole_chain(cast: Cast, celery_worker: Any) -> None:
    interleaved(cast)
    staff = client_for(get_user_model().objects.create_user("sam.staff", password="x", is_staff=True))
    staff.post(reverse("audit:installation_chain"))
    check = wait_for(
        lambda: ChainCheck.objects.filter(status=ChainCheckStatus.DONE).first(), timeout=60, what="the chain check"
    )
    assert check.intact and check.entries_checked == AuditEntry.objects.count()
