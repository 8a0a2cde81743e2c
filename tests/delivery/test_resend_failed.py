"""Resend failed only: rejected rows get new MsgKeys in a new round, read and rewritten a slice at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.delivery import controls, finishing, queueing, sweeper
from pushadmin.delivery.models import Batch, Message, MessageStatus
from tests.delivery.campaigns import approve, draft_campaign

pytestmark = pytest.mark.django_db
SLICE = 200


@pytest.fixture
def enqueued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


@pytest.fixture(autouse=True)
def small_slices(monkeypatch):
    monkeypatch.setattr(controls, "RESEND_SLICE_ROWS", SLICE)


def outcome_of(seq: int) -> str:
    if seq % 3 == 0:
        return MessageStatus.ACCEPTED
    if seq % 5 == 0:
        return MessageStatus.UNKNOWN
    return MessageStatus.REJECTED


def partly_sent(cast, targets: int = 1000):
    """A finished first round: every third row accepted, some unknown, the rest rejected."""
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets), cast.reviewer)
    campaign = transition(campaign, CampaignStatus.SENDING, action="t", changes={"started_at": timezone.now()})
    rows = list(Message.objects.filter(campaign=campaign))
    for row in rows:
        row.status = outcome_of(row.seq)
        row.request_id, row.result_code = f"req-{row.seq}", "3028" if row.status == MessageStatus.REJECTED else "OK"
        row.task_id = "task-1" if row.status == MessageStatus.ACCEPTED else ""
    Message.objects.bulk_update(rows, ["status", "request_id", "result_code", "task_id"])
    return transition(campaign, CampaignStatus.PARTLY_SENT, action="t")


def request_by(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_resend_failed_gives_only_rejected_rows_new_msg_keys_in_a_new_round_of_full_batches(
    cast, enqueued, django_capture_on_commit_callbacks
):
    campaign = partly_sent(cast)
    rejected_seqs = [seq for seq in range(1, 1001) if outcome_of(seq) == MessageStatus.REJECTED]

    with django_capture_on_commit_callbacks(execute=True):
        campaign = controls.resend_failed(campaign, request=request_by(cast.marketer))

    assert campaign.status == CampaignStatus.SENDING and campaign.send_round == 2
    resent = list(Message.objects.filter(campaign=campaign, send_round=2).order_by("seq"))
    assert [m.seq for m in resent] == rejected_seqs
    assert all(m.msg_key == campaign.msg_key_for(m.seq, 2) for m in resent)
    assert all(m.status == MessageStatus.PENDING for m in resent)
    assert all(m.request_id == m.task_id == m.result_code == m.result_message == "" for m in resent)
    batches = list(Batch.objects.filter(campaign=campaign, send_round=2).order_by("seq"))
    assert [b.seq for b in batches] == list(range(1, len(batches) + 1))
    assert [b.pk for b in batches] == enqueued
    by_batch = [[m.seq for m in resent if m.batch_id == b.pk] for b in batches]
    assert by_batch == [rejected_seqs[i : i + 100] for i in range(0, len(rejected_seqs), 100)]
    untouched = Message.objects.filter(campaign=campaign, send_round=1)
    assert untouched.count() == 1000 - len(rejected_seqs)
    assert all(m.msg_key == campaign.msg_key_for(m.seq) and m.status != "pending" for m in untouched)
    entry = AuditEntry.objects.get(action="delivery.resend_round")
    assert entry.detail == {"round": 2, "messages": len(rejected_seqs)} and entry.actor == cast.marketer


def test_resend_failed_reads_the_rejected_rows_a_slice_at_a_time(cast, enqueued, django_capture_on_commit_callbacks):
    campaign = partly_sent(cast)

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        controls.resend_failed(campaign, request=request_by(cast.marketer))

    reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "delivery_message"')]
    assert reads, "the rejected rows were not read from delivery_message"
    assert all(f"LIMIT {SLICE}" in sql for sql in reads), "a read of the rejected rows was not sliced"
    assert len(reads) == -(-533 // SLICE) + 1  # the slices, then one finding nothing left


def test_resend_with_nothing_rejected_finishes_the_round_at_once(cast, enqueued, django_capture_on_commit_callbacks):
    campaign = partly_sent(cast, targets=30)
    Message.objects.filter(campaign=campaign, status=MessageStatus.REJECTED).update(status=MessageStatus.UNKNOWN)

    with django_capture_on_commit_callbacks(execute=True):
        controls.resend_failed(campaign, request=request_by(cast.marketer))

    campaign.refresh_from_db()
    assert enqueued == [] and campaign.status == CampaignStatus.PARTLY_SENT and campaign.send_round == 2


def test_a_round_bigger_than_the_request_cuts_is_cut_on_by_a_worker_and_not_finished_before(
    cast, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = partly_sent(cast)
    rejected_seqs = [seq for seq in range(1, 1001) if outcome_of(seq) == MessageStatus.REJECTED]
    monkeypatch.setattr(controls, "RESEND_IN_REQUEST_ROWS", SLICE)
    handed_on: list[int] = []
    monkeypatch.setattr(queueing, "enqueue_resend_cutting", handed_on.append)

    with django_capture_on_commit_callbacks(execute=True):
        campaign = controls.resend_failed(campaign, request=request_by(cast.marketer))

    assert handed_on == [campaign.pk]
    assert Message.objects.filter(campaign=campaign, send_round=2).count() == SLICE
    # Everything cut so far has been answered, but the round is not over: rows are still to cut.
    Batch.objects.filter(campaign=campaign).update(status="done")
    assert finishing.finish_if_done(campaign.pk) is None

    assert controls.cut_resend_remaining(campaign.pk) == -(-(len(rejected_seqs) - SLICE) // 100)

    resent = list(Message.objects.filter(campaign=campaign, send_round=2).order_by("seq"))
    assert [m.seq for m in resent] == rejected_seqs
    assert all(m.msg_key == campaign.msg_key_for(m.seq, 2) for m in resent)
    batches = list(Batch.objects.filter(campaign=campaign, send_round=2).order_by("seq"))
    assert [b.seq for b in batches] == list(range(1, len(batches) + 1))
    assert enqueued == [b.pk for b in batches]
    by_batch = [[m.seq for m in resent if m.batch_id == b.pk] for b in batches]
    assert by_batch == [rejected_seqs[i : i + 100] for i in range(0, len(rejected_seqs), 100)]


def test_the_sweeper_hands_a_stalled_resend_cut_to_a_worker_again(
    cast, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = partly_sent(cast)
    monkeypatch.setattr(controls, "RESEND_IN_REQUEST_ROWS", SLICE)
    handed_on: list[int] = []
    monkeypatch.setattr(queueing, "enqueue_resend_cutting", handed_on.append)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = controls.resend_failed(campaign, request=request_by(cast.marketer))
    # The cutting task was lost: nothing has moved for a long while.
    long_ago = timezone.now() - timedelta(minutes=10)
    Batch.objects.filter(campaign=campaign).update(status="done", updated_at=long_ago, queued_at=long_ago)
    handed_on.clear()

    report = sweeper.sweep()

    assert report.recut == [campaign.pk] and handed_on == [campaign.pk]
