"""The outcome UPDATE written as SQL text: exactly the named rows, each with its own batch's values."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pushadmin.delivery import row_outcomes
from pushadmin.delivery.models import Batch, Message, MessageStatus
from tests.delivery.campaigns import draft_campaign

pytestmark = pytest.mark.django_db


def test_only_the_named_rows_change_whether_their_ids_run_on_or_stand_alone(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 200)
    first = Batch.objects.create(campaign=campaign, seq=1)
    second = Batch.objects.create(campaign=campaign, seq=2)
    ids = dict(Message.objects.filter(campaign=campaign).values_list("seq", "pk"))
    # A run of ids, two single ids, a pair (too short for a range) and a gap in each batch.
    chosen = [ids[seq] for seq in [*range(1, 60), 70, 72, 150, 151, *range(160, 201)]]
    answers = [
        row_outcomes.BatchAnswer(first, "REQ-first", "task-first"),
        row_outcomes.BatchAnswer(second, "REQ-second", "task-second"),
    ]

    written = row_outcomes.write(chosen, answers, status=MessageStatus.ACCEPTED, code="OK", text="", now=timezone.now())

    assert written == len(chosen) == 104
    rows = Message.objects.filter(campaign=campaign).values_list("seq", "status", "request_id", "task_id", "batch_id")
    for seq, status, request_id, task_id, batch_id in rows:
        if ids[seq] not in chosen:
            assert (status, request_id, batch_id) == (MessageStatus.DRAFT, "", None), seq
        elif seq <= 100:
            assert (status, request_id, task_id, batch_id) == ("accepted", "REQ-first", "task-first", first.pk), seq
        else:
            assert (status, request_id, task_id, batch_id) == ("accepted", "REQ-second", "task-second", second.pk)
    assert Message.objects.get(pk=ids[1]).updated_at > campaign.created_at


def test_a_value_shared_by_every_batch_and_deleting_a_batch_clears_its_rows_reference(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 150)
    first = Batch.objects.create(campaign=campaign, seq=1)
    second = Batch.objects.create(campaign=campaign, seq=2)
    pks = list(Message.objects.filter(campaign=campaign).values_list("pk", flat=True))
    answers = [row_outcomes.BatchAnswer(first, "REQ-1", ""), row_outcomes.BatchAnswer(second, "REQ-2", "")]

    row_outcomes.write(pks, answers, status=MessageStatus.REJECTED, code="3023", text="Bad values", now=timezone.now())

    assert set(Message.objects.filter(campaign=campaign).values_list("status", "result_code", "task_id")) == {
        (MessageStatus.REJECTED, "3023", "")
    }
    # The reference has no constraint in the database; Django still clears it when a batch goes.
    second.delete()
    assert Message.objects.filter(campaign=campaign, batch=None).count() == 50
    assert Message.objects.filter(campaign=campaign, batch=first).count() == 100
