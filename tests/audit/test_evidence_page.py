from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from pushadmin.audit.evidence import checked_trail
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.delivery.models import Attempt, Batch
from pushadmin.reviews.approving import Shown, approve
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def test_the_evidence_page_shows_timeline_approvals_with_fingerprints_calls_and_outcomes(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    batch = Batch.objects.create(campaign=campaign, seq=1, status="done")
    Attempt.objects.create(
        batch=batch, campaign=campaign, started_at=campaign.approved_at, outcome="accepted", request_id="REQ-42"
    )
    client = Client()
    client.force_login(cast.auditor)
    url = reverse("audit:evidence", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    text = client.get(url).content.decode()
    assert text.index("campaign.submitted") < text.index("campaign.approved")
    assert campaign.fingerprint in text and "REQ-42" in text and "userid1024" in text
    assert "Every entry below matches its hash" in text


def test_another_workspaces_campaign_has_no_evidence_page_here(cast: Cast) -> None:
    theirs = make_campaign(cast.other_workspace, cast.outsider)
    client = Client()
    client.force_login(cast.auditor)
    for name in ("audit:evidence", "audit:evidence_pack"):
        url = reverse(name, kwargs={"workspace_id": cast.workspace.pk, "campaign_id": theirs.pk})
        assert client.get(url).status_code == 404


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the edit itself")
def test_an_edited_trail_row_is_flagged_on_the_evidence_timeline(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'someone else' WHERE action = 'campaign.submitted'")
    assert [item.hash_ok for item in checked_trail(campaign)] == [False]
