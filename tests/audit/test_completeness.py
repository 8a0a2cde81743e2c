"""Every step of a campaign's review lands in the trail with who, when, from where and on what."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.reviews.approving import Shown, add_comment, approve, reject
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def test_a_campaigns_review_steps_are_each_recorded_with_actor_time_ip_and_object(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    campaign = submit_for_review(campaign, request=request_by(cast.marketer, "198.51.100.1"))
    add_comment(campaign, request=request_by(cast.reviewer, "198.51.100.2"), body="Check the amounts")
    reject(campaign, request=request_by(cast.reviewer, "198.51.100.2"), reason="Amounts", shown=Shown.of(campaign))
    record_edit(campaign, request=request_by(cast.marketer, "198.51.100.1"), before={"a": 1}, after={"a": 2})
    campaign = submit_for_review(campaign, request=request_by(cast.marketer, "198.51.100.1"))
    approve(campaign, request=request_by(cast.reviewer, "198.51.100.2"), shown=Shown.of(campaign))

    entries = list(AuditEntry.objects.order_by("seq"))
    assert [(e.action, e.actor_label, e.ip) for e in entries] == [
        ("campaign.submitted", "mia.marketer", "198.51.100.1"),
        ("campaign.commented", "rob.reviewer", "198.51.100.2"),
        ("campaign.rejected", "rob.reviewer", "198.51.100.2"),
        ("campaign.edited", "mia.marketer", "198.51.100.1"),
        ("campaign.submitted", "mia.marketer", "198.51.100.1"),
        ("campaign.approved", "rob.reviewer", "198.51.100.2"),
    ]
    assert all(e.created_at and e.workspace == cast.workspace for e in entries)
    assert {(e.object_type, e.object_id) for e in entries} == {("campaigns.campaign", str(campaign.pk))}
    assert entries[3].before == {"a": 1} and entries[3].after == {"a": 2}
    call_command("verify_audit")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the edit itself")
def test_rewriting_the_approved_fingerprint_in_the_database_is_caught_by_verify_audit(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    approved = AuditEntry.objects.get(action="campaign.approved")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET detail = %s WHERE id = %s", ['{"fingerprint": "forged"}', approved.pk]
        )
    with pytest.raises(CommandError, match=f"entry #{approved.seq}.*edited"):
        call_command("verify_audit")
