"""Two reviewers press approve at the same moment, each on their own database connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pushadmin.accounts.models import Role
from pushadmin.audit.models import AuditEntry
from pushadmin.audit.trail import verify_chain
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.reviews import approving
from pushadmin.reviews.models import Approval
from tests.personas import Cast, make_user
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_reviewers_approving_at_once_yield_exactly_one_approval(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    monkeypatch.setattr(approving, "start_sending", started.append)
    second = make_user("rita.reviewer", cast.workspace, Role.REVIEWER)
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def press_approve(reviewer: object) -> None:
        try:
            copy = Campaign.objects.get(pk=campaign.pk)
            barrier.wait(timeout=10)
            approving.approve(copy, request=request_by(reviewer), shown=approving.Shown.of(copy))
            outcomes[reviewer.username] = "approved"
        except approving.ReviewRefused as refusal:
            outcomes[reviewer.username] = str(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=press_approve, args=(person,)) for person in (cast.reviewer, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values())[0] == "approved", outcomes
    assert "is approved; only campaigns in review can be approved" in sorted(outcomes.values())[1], outcomes
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED
    assert Approval.objects.filter(campaign=campaign).count() == 1
    assert AuditEntry.objects.filter(action="campaign.approved").count() == 1
    assert started == [campaign.pk]
    assert verify_chain()[1] is None
