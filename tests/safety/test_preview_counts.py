"""Pre-flight's count of the rows the suppression list would hold back, with the list empty and not."""

from __future__ import annotations

import pytest

from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.safety.holding import preview_counts
from pushadmin.safety.models import Suppression
from tests.delivery.campaigns import draft_campaign
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def test_rows_already_held_back_and_rows_on_the_list_are_each_counted_once(cast: Cast) -> None:
    campaign = draft_campaign(cast.workspace, cast.marketer, 6)
    targets = list(Message.objects.filter(campaign=campaign).order_by("seq").values_list("target", flat=True))
    Message.objects.filter(campaign=campaign, target=targets[0]).update(status=MessageStatus.SUPPRESSED)
    assert preview_counts(campaign) == {"suppressed": 1, "capped": 0}  # the list is empty

    for target in (targets[0], targets[1], targets[2], "not-in-this-campaign"):
        Suppression.objects.create(workspace=cast.workspace, target=target, reason="opted_out")
    assert preview_counts(campaign) == {"suppressed": 3, "capped": 0}
