"""The suppression list through the API: the pages' rules, refusals at the field that broke them, and
the same audit entries; a target added through the API is held back when its batch is cut."""

from __future__ import annotations

import pytest

from pushadmin.accounts.models import Role
from pushadmin.audit.models import AuditEntry
from pushadmin.safety.models import Suppression
from tests.api.api_client import call, token_for
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def test_a_crm_adds_reads_and_a_reviewer_removes_a_suppressed_target(cast: Cast) -> None:
    marketer = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    added = call(marketer, "POST", "/suppressions", {"target": "user-42", "reason": "complaint", "note": "T-17"})
    assert added.status_code == 201, added.content
    entry = added.json()
    assert (entry["target"], entry["reason"], entry["added_by"]) == ("user-42", "complaint", cast.marketer.username)

    again = call(marketer, "POST", "/suppressions", {"target": " user-42 ", "reason": "opted_out"})
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "target"
    assert "already on the suppression list" in again.json()["errors"][0]["message"]
    wrong_reason = call(marketer, "POST", "/suppressions", {"target": "user-43", "reason": "bored"})
    assert wrong_reason.status_code == 422 and wrong_reason.json()["errors"][0]["field"] == "reason"

    listed = call(marketer, "GET", "/suppressions?target=user-42").json()
    assert [item["id"] for item in listed["items"]] == [entry["id"]]

    refused = call(marketer, "POST", f"/suppressions/{entry['id']}/remove", {"why": "asked to"})
    assert refused.status_code == 403  # marketers add; reviewers and admins remove
    reviewer = token_for(cast.reviewer, cast.workspace, Role.REVIEWER)
    no_reason = call(reviewer, "POST", f"/suppressions/{entry['id']}/remove", {})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "why"
    assert Suppression.objects.filter(pk=entry["id"]).exists()
    removed = call(reviewer, "POST", f"/suppressions/{entry['id']}/remove", {"why": "Opted back in, ticket T-18"})
    assert removed.status_code == 200
    assert not Suppression.objects.filter(pk=entry["id"]).exists()

    trail = AuditEntry.objects.filter(workspace=cast.workspace, action__startswith="suppression.").order_by("seq")
    assert [(e.action, e.actor_label) for e in trail] == [
        ("suppression.added", cast.marketer.username),
        ("suppression.removed", cast.reviewer.username),
    ]
    assert trail.last().detail["why"] == "Opted back in, ticket T-18"
