"""A marketer and a reviewer run a campaign through the API alone, over HTTP, sent for real.

The marketer creates a template (a retried POST creates it once) and a campaign with rows
typed inline, reads the pre-flight report and submits; the reviewer, refused on the wrong
fingerprint, approves what was submitted; a real worker sends it to the sandbox; the marketer
polls the progress with its ETag and pages through each message's outcome; the auditor reads
the trail. Every answer is checked against the OpenAPI document.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pushadmin.accounts.models import Role
from pushadmin.campaigns.models import Campaign, Template
from tests.api.api_client import Api, openapi_document, token_for
from tests.fixtures.processes import wait_for
from tests.personas import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROWS = [
    {"target": "user-1", "values": {"name": "Ann", "code": "A1"}},
    {"target": "user-2", "values": {"name": "Bo", "code": "B2"}},
    {"target": "user-3", "values": {"name": "Cy", "code": "C3"}, "extended_params": {"deeplink": "app://c"}},
]


def campaign_body(template_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Winter sale",
        "template_id": template_id,
        "delivery_type": 3,
        "options": {"expiry_value": 2, "expiry_unit": "hours", "categories": {"hms": "3"}},
        "strategy": {"type": "immediate"},
        "rows": ROWS,
        **changes,
    }


def test_marketer_and_reviewer_send_a_campaign_through_the_api(
    cast: Cast, live_server: Any, mpaas_sandbox: Any, celery_worker: Any
) -> None:
    workspace = cast.workspace
    workspace.endpoint_url, workspace.required_approvals, workspace.calls_per_second = mpaas_sandbox.url, 1, 50
    workspace.save()
    document = openapi_document(live_server.url)
    marketer = Api(live_server.url, token_for(cast.marketer, workspace, Role.MARKETER), document)
    reviewer = Api(live_server.url, token_for(cast.reviewer, workspace, Role.REVIEWER), document)
    auditor = Api(live_server.url, token_for(cast.auditor, workspace, Role.AUDITOR), document)

    # A template, created once however often the POST is retried.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "Winter", "title": "Hi #name#", "content": "Your code is #code#"}
    first = marketer.post("/templates", json=body, headers=key)
    again = marketer.post("/templates", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert Template.objects.filter(workspace=workspace, name="Winter").count() == 1
    template_id = first.json()["id"]
    assert first.json()["placeholders"] == ["name", "code"]
    synced = marketer.post(f"/templates/{template_id}/create-on-mpaas").json()
    assert synced["ok"], synced["detail"]
    assert synced["template"]["mpaas_state"] == "matches"

    # A bad campaign is refused whole, with the form's sentence at the field's path.
    bad = marketer.post(
        "/campaigns", json=campaign_body(template_id, options={"expiry_value": 4, "expiry_unit": "days"})
    )
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    assert {"field": "options.expiry_value", "message": "At most 72 hours (259,200 seconds), the API's limit."} in (
        bad.json()["errors"]
    )
    bad_row = marketer.post("/campaigns", json=campaign_body(template_id, rows=[*ROWS, {"target": " "}]))
    assert bad_row.status_code == 422
    assert bad_row.json()["errors"] == [{"field": "rows.3", "message": "The target is empty."}]
    assert not Campaign.objects.filter(workspace=workspace).exists()

    created = marketer.post("/campaigns", json=campaign_body(template_id), headers={"Idempotency-Key": "winter-1"})
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert (campaign["status"], campaign["rows"]) == ("draft", 3)
    assert campaign["options"]["third_channel_category"] == {"hms": "3"}
    report = marketer.get(f"/campaigns/{campaign['id']}/preflight").json()
    assert report["blocks_submission"] is False and report["rows_to_send"] == 3

    # Nothing to approve before submission; a marketer's token cannot approve at all.
    early = reviewer.post(f"/campaigns/{campaign['id']}/approve", json={"revision": 1, "fingerprint": "x"})
    assert early.status_code == 409
    submitted = marketer.post(f"/campaigns/{campaign['id']}/submit").json()
    assert submitted["status"] == "in_review" and submitted["fingerprint"]
    decision = {"revision": submitted["revision"], "fingerprint": submitted["fingerprint"]}
    assert marketer.post(f"/campaigns/{campaign['id']}/approve", json=decision).status_code == 403
    stale = reviewer.post(f"/campaigns/{campaign['id']}/approve", json={**decision, "fingerprint": "0" * 64})
    assert stale.status_code == 409 and "changed since you opened it" in stale.json()["detail"]

    approved = reviewer.post(f"/campaigns/{campaign['id']}/approve", json=decision)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] in ("approved", "sending", "sent")

    def finished() -> dict[str, Any] | None:
        progress = marketer.get(f"/campaigns/{campaign['id']}/progress").json()
        return progress if progress["status"] == "sent" else None

    progress = wait_for(finished, timeout=60, what="the campaign to be sent")
    assert progress["counts"] == {"accepted": 3} and progress["done"] == 3
    polled = marketer.get(f"/campaigns/{campaign['id']}/progress")
    unchanged = marketer.get(f"/campaigns/{campaign['id']}/progress", headers={"If-None-Match": polled.headers["ETag"]})
    assert unchanged.status_code == 304

    # Every message's outcome, two at a time by cursor.
    first_page = marketer.get(f"/campaigns/{campaign['id']}/messages?limit=2").json()
    second_page = marketer.get(
        f"/campaigns/{campaign['id']}/messages?limit=2&cursor={first_page['next_cursor']}"
    ).json()
    outcomes = first_page["items"] + second_page["items"]
    assert second_page["next_cursor"] is None
    assert [m["target"] for m in outcomes] == ["user-1", "user-2", "user-3"]
    assert all(m["status"] == "accepted" and m["request_id"] for m in outcomes)
    assert len(mpaas_sandbox.messages()) == 3
    rejected_only = marketer.get(f"/campaigns/{campaign['id']}/messages?status=rejected").json()
    assert rejected_only["items"] == []

    # The auditor reads who did what, in order, with the API calls audited as the page actions are.
    trail = auditor.get(f"/audit?object_type=campaigns.campaign&object_id={campaign['id']}").json()["items"]
    steps = [(entry["action"], entry["actor"]) for entry in trail]
    assert steps[:3] == [
        ("campaign.created", "mia.marketer"),
        ("campaign.submitted", "mia.marketer"),
        ("campaign.approved", "rob.reviewer"),
    ]
    assert ("campaign.sent", "system") in steps
