"""The send workflow in this process against the real sandbox: claims, outcomes, pauses, rounds."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone

from pushadmin.audit import history
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import TransitionRefused
from pushadmin.campaigns.models import Campaign, CampaignStatus, MissingDataPolicy
from pushadmin.delivery import (
    clients,
    controls,
    cutting,
    dispatch,
    finishing,
    membership,
    queueing,
    rounds,
    sending,
    sweeper,
    verdicts,
)
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, BatchStatus, Message, MessageStatus
from pushadmin.workspaces.models import AmbiguousPolicy
from tests.delivery.campaigns import approve, draft_campaign, point_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Batch ids handed to the broker (no worker runs here; the tests drive send_batch)."""
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


@pytest.fixture
def fast_backoff(settings):
    settings.PUSHADMIN_SEND_BACKOFF_BASE_MS = 1
    settings.PUSHADMIN_SEND_BACKOFF_CAP_MS = 1


def started(cast, sandbox, targets=250, django_capture_on_commit_callbacks=None, **fields):
    point_at(cast.workspace, sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets, **fields), cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)
    campaign.refresh_from_db()
    return campaign


def drive(campaign, enqueued, django_capture_on_commit_callbacks, rounds=50):
    """Play the worker: send every enqueued batch, as often as they come back."""
    results = []
    for _ in range(rounds):
        if not enqueued:
            break
        batch_ids = list(enqueued)
        enqueued.clear()
        Batch.objects.filter(pk__in=batch_ids).update(next_attempt_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            results.extend(sending.send_batch(batch_id) for batch_id in batch_ids)
    campaign.refresh_from_db()
    return results


def left_in_flight_by_a_dead_worker(batch):
    """As a worker killed during the call leaves its batch: in flight, its lease already expired."""
    Batch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.IN_FLIGHT, claim_token="dead-worker", lease_until=timezone.now() - timedelta(seconds=1)
    )


def test_starting_cuts_batches_of_at_most_100_and_queues_each_once(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 250, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.SENDING
    batches = list(Batch.objects.filter(campaign=campaign).order_by("seq"))
    assert [membership.rows_of(b).count() for b in batches] == [100, 100, 50]
    assert enqueued == [b.pk for b in batches]
    # The cut writes batch rows only: each message is written once, with its outcome.
    assert not Message.objects.filter(campaign=campaign).exclude(status=MessageStatus.DRAFT, batch=None).exists()
    assert membership.first_uncut_seq(campaign.pk) is None


def test_a_batch_is_sent_once_however_often_its_task_runs(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)
    batch = Batch.objects.get(campaign=campaign)

    first = sending.send_batch(batch.pk)
    second = sending.send_batch(batch.pk)

    assert (first, second) == (AttemptResult.ACCEPTED, "not claimable")
    assert mpaas_sandbox.stats()["calls"] == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_batch_claimed_by_a_live_worker_cannot_be_claimed_again(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)
    batch = Batch.objects.get(campaign=campaign)
    Batch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.IN_FLIGHT, claim_token="other-worker", lease_until=timezone.now() + timedelta(seconds=60)
    )

    assert sending.send_batch(batch.pk) == "not claimable"
    assert mpaas_sandbox.stats()["calls"] == 0


def test_rejected_messages_carry_the_api_code_and_its_meaning(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 120, django_capture_on_commit_callbacks)
    campaign.template.name = "not-in-the-console"
    campaign.template.save()

    drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.FAILED
    message = Message.objects.filter(campaign=campaign).first()
    assert message.status == MessageStatus.REJECTED
    assert message.result_code == "3022"
    assert message.result_message == "The template does not exist in this workspace."


def test_a_wrong_secret_pauses_the_campaign_with_the_reason_instead_of_burning_retries(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 250, django_capture_on_commit_callbacks)
    cast.workspace.set_secret("not-the-secret")
    cast.workspace.save()

    drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.PAUSED
    assert "SignatureDoesNotMatch" in campaign.pause_reason and "secret is probably wrong" in campaign.pause_reason
    assert Attempt.objects.filter(campaign=campaign, outcome=AttemptResult.CONFIG_ERROR).count() == 1
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).count() == 250


def test_repeated_server_errors_pause_the_campaign_after_the_configured_count(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, settings, fast_backoff
):
    settings.PUSHADMIN_AUTO_PAUSE_AFTER = 3
    mpaas_sandbox.faults(error5xx=1.0)
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)

    drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.PAUSED
    assert campaign.pause_reason.startswith("3 calls in a row failed; last error ServiceUnavailable")
    assert Attempt.objects.filter(campaign=campaign).count() == 3


def test_throttling_is_retried_with_the_same_msg_keys_and_never_pauses(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, settings, fast_backoff
):
    settings.PUSHADMIN_AUTO_PAUSE_AFTER = 2
    mpaas_sandbox.faults(throttle=1.0)
    campaign = started(cast, mpaas_sandbox, 300, django_capture_on_commit_callbacks)
    keys_before = set(Message.objects.filter(campaign=campaign).values_list("msg_key", flat=True))

    # Every batch is throttled once for sure (more than the auto-pause count), then most of the time.
    assert set(drive(campaign, enqueued, django_capture_on_commit_callbacks, rounds=1)) == {"throttled"}
    mpaas_sandbox.faults(throttle=0.7)
    drive(campaign, enqueued, django_capture_on_commit_callbacks, rounds=200)

    assert campaign.status == CampaignStatus.SENT
    assert {m["msgKey"] for m in mpaas_sandbox.messages()} == keys_before
    assert Attempt.objects.filter(campaign=campaign, outcome=AttemptResult.THROTTLED).exists()


def test_rows_missing_a_value_are_skipped_under_the_skip_policy(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = draft_campaign(cast.workspace, cast.marketer, 10, missing_policy=MissingDataPolicy.SKIP)
    Message.objects.filter(campaign=campaign, seq__in=[3, 7]).update(values={"name": "No money"})
    campaign = approve(campaign, cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)

    drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.SENT
    skipped = Message.objects.filter(campaign=campaign, status=MessageStatus.SKIPPED)
    assert sorted(skipped.values_list("seq", flat=True)) == [3, 7]
    assert len(mpaas_sandbox.messages()) == 8


def test_an_expired_lease_makes_its_messages_unknown_under_the_default_policy(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 150, django_capture_on_commit_callbacks)
    first, second = Batch.objects.filter(campaign=campaign).order_by("seq")
    left_in_flight_by_a_dead_worker(first)

    report = sweeper.sweep()

    assert report.expired_unknown == [first.pk]
    assert Message.objects.filter(batch=first, status=MessageStatus.UNKNOWN).count() == 100
    assert Attempt.objects.get(batch=first).code == sweeper.WORKER_LOST
    assert Batch.objects.get(pk=second.pk).status == BatchStatus.PENDING


def test_an_expired_lease_is_sent_again_with_the_same_msg_keys_under_the_resend_policy(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    cast.workspace.ambiguous_policy = AmbiguousPolicy.RESEND
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)
    batch = Batch.objects.get(campaign=campaign)
    left_in_flight_by_a_dead_worker(batch)
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report = sweeper.sweep()

    assert report.expired_resent == [batch.pk] and enqueued == [batch.pk]
    drive(campaign, enqueued, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT


def throttle_after_calls(calls, sandbox, monkeypatch):
    """From the call after `calls`, the sandbox throttles everything (its fault switch, over HTTP)."""
    real_client_for = clients.client_for
    made = []

    class Client:
        def __init__(self, client):
            self.client = client

        def push_multiple(self, request):
            result = self.client.push_multiple(request)
            made.append(result)
            if len(made) == calls:
                sandbox.faults(throttle=1.0)
            return result

    monkeypatch.setattr(clients, "client_for", lambda workspace: Client(real_client_for(workspace)))


def test_a_group_goes_on_past_a_rejected_call_and_stops_at_a_throttled_one(
    cast, mpaas_sandbox, enqueued, monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.PUSHADMIN_SEND_WINDOW = 1  # one call at a time, so the throttling lands on a known call
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = draft_campaign(cast.workspace, cast.marketer, 500)
    # The second batch lacks a placeholder value, so mPaaS refuses it for its own sake (3023).
    Message.objects.filter(campaign=campaign, seq__gt=100, seq__lte=200).update(values={"name": "No amount"})
    campaign = approve(campaign, cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)
    group = list(enqueued)
    enqueued.clear()
    throttle_after_calls(3, mpaas_sandbox, monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        results = sending.send_batches(group)

    assert list(results.values()) == ["accepted", "rejected", "accepted", "throttled", "given back"]
    # With the gateway throttling, the sender does not spend more calls looking for batch 2's culprits.
    second = Message.objects.filter(campaign=campaign, seq__gt=100, seq__lte=200)
    assert second.filter(status=MessageStatus.REJECTED, result_code="3023").count() == 100
    assert Attempt.objects.filter(batch_id=group[1]).count() == 1
    assert sorted(enqueued) == sorted(group[3:])
    assert Batch.objects.get(pk=group[4]).status == BatchStatus.PENDING
    assert Batch.objects.get(pk=group[4]).attempts == 0


@pytest.fixture
def lease_expires_during_the_call(monkeypatch):
    """The worker stalls in its call long enough for the sweeper to take the batch back."""
    real_client_for = clients.client_for

    class StalledClient:
        def __init__(self, client):
            self.client = client

        def push_multiple(self, request):
            result = self.client.push_multiple(request)
            sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.PUSHADMIN_SEND_LEASE_SECONDS + 1))
            return result

    monkeypatch.setattr(clients, "client_for", lambda workspace: StalledClient(real_client_for(workspace)))


def test_an_answer_that_comes_after_the_lease_expired_replaces_unknown_with_accepted(
    cast, mpaas_sandbox, enqueued, lease_expires_during_the_call, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)

    assert drive(campaign, enqueued, django_capture_on_commit_callbacks) == ["late outcome recorded"]

    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status=MessageStatus.ACCEPTED).exclude(request_id="").count() == 100
    attempts = {a.code or a.outcome: a.settled for a in Attempt.objects.filter(campaign=campaign)}
    assert attempts == {sweeper.WORKER_LOST: 100, "OK": 100}
    assert len(mpaas_sandbox.messages()) == 100
    # The sweeper ended the campaign on the unknowns; the late answer corrects it.
    entries = AuditEntry.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk)).order_by("seq")
    steps = [a for a in entries.values_list("action", flat=True) if a.startswith("campaign.")]
    assert steps[-2:] == ["campaign.failed", "campaign.outcome_corrected"]
    assert campaign.status == CampaignStatus.SENT


def test_under_the_resend_policy_a_late_answer_settles_the_batch_before_it_is_sent_again(
    cast, mpaas_sandbox, enqueued, lease_expires_during_the_call, django_capture_on_commit_callbacks
):
    cast.workspace.ambiguous_policy = AmbiguousPolicy.RESEND
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)

    results = drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert results[0] == "late outcome recorded" and set(results[1:]) <= {"not claimable"}
    assert campaign.status == CampaignStatus.SENT
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count() == 100
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0 and len(mpaas_sandbox.messages()) == 100


def test_batches_claimed_by_a_dead_worker_but_never_called_go_back_without_doubt(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 300, django_capture_on_commit_callbacks)
    first, *rest = Batch.objects.filter(campaign=campaign).order_by("seq")
    expired = timezone.now() - timedelta(seconds=1)
    Batch.objects.filter(pk=first.pk).update(status=BatchStatus.IN_FLIGHT, claim_token="dead", lease_until=expired)
    Batch.objects.filter(pk__in=[b.pk for b in rest]).update(
        status=BatchStatus.CLAIMED, claim_token="dead", lease_until=expired, attempts=1
    )
    enqueued.clear()

    report = sweeper.sweep()

    assert report.expired_unknown == [first.pk] and sorted(report.released) == sorted(b.pk for b in rest)
    assert sorted(enqueued) == sorted(b.pk for b in rest)
    drive(campaign, enqueued, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.PARTLY_SENT
    counts = finishing.message_counts(campaign.pk)
    assert counts == {MessageStatus.UNKNOWN: 100, MessageStatus.ACCEPTED: 200}
    assert len(mpaas_sandbox.messages()) == 200


class WatchedClient:
    """The workspace's real client, noting the group's batch states as each call leaves."""

    def __init__(self, client, batches):
        self.client = client
        self.batches = batches
        self.at_each_call: list[tuple[set[int], set[int]]] = []

    def push_multiple(self, request):
        states = dict(self.batches.values_list("pk", "status"))
        self.at_each_call.append(
            (
                {pk for pk, status in states.items() if status == BatchStatus.IN_FLIGHT},
                {pk for pk, status in states.items() if status == BatchStatus.CLAIMED},
            )
        )
        return self.client.push_multiple(request)


def test_a_batch_goes_in_flight_only_as_its_own_call_leaves(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, settings, monkeypatch
):
    # One call at a time (made on this thread), two steps of five calls in the group.
    settings.PUSHADMIN_SEND_WINDOW = 1
    settings.PUSHADMIN_SEND_CALLS_PER_STEP = 5
    campaign = started(cast, mpaas_sandbox, 1000, django_capture_on_commit_callbacks)
    group = list(Batch.objects.filter(campaign=campaign).order_by("seq").values_list("pk", flat=True)[:10])
    watched = WatchedClient(clients.client_for(cast.workspace), Batch.objects.filter(pk__in=group))
    monkeypatch.setattr(clients, "client_for", lambda workspace: watched)

    with django_capture_on_commit_callbacks(execute=True):
        results = sending.send_batches(group)

    assert set(results.values()) == {AttemptResult.ACCEPTED}
    # As the k-th call leaves, the calls of its step made so far, itself included, are in flight (a dead
    # worker's doubt); the group's batches not yet called are still merely claimed.
    for k, (in_flight, claimed) in enumerate(watched.at_each_call):
        step_start = k - k % 5
        assert in_flight == set(group[step_start : k + 1]), k
        assert claimed == set(group[k + 1 :]), k
    assert len(watched.at_each_call) == 10


def test_a_stalled_campaign_has_its_pending_batches_queued_again(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 200, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - timedelta(minutes=10)
    Batch.objects.filter(campaign=campaign).update(queued_at=long_ago, updated_at=long_ago)
    enqueued.clear()

    report = sweeper.sweep()

    assert (
        sorted(report.requeued)
        == sorted(enqueued)
        == sorted(Batch.objects.filter(campaign=campaign).values_list("pk", flat=True))
    )


def request_by(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_pause_stops_claims_and_resume_sends_only_what_is_left(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 300, django_capture_on_commit_callbacks)
    first, *rest = enqueued
    sending.send_batch(first)
    controls.pause(campaign, request=request_by(cast.marketer))

    assert [sending.send_batch(b) for b in rest] == ["not claimable", "not claimable"]
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        campaign = controls.resume(campaign, request=request_by(cast.marketer))
    assert enqueued == rest
    drive(campaign, enqueued, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT
    assert mpaas_sandbox.stats()["messagesAccepted"] == 300 and mpaas_sandbox.stats()["duplicateMsgKeys"] == 0


def test_cancel_marks_every_unsent_message_cancelled_and_cannot_be_undone(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 300, django_capture_on_commit_callbacks)
    sending.send_batch(enqueued[0])

    campaign = controls.cancel(campaign, request=request_by(cast.marketer))

    counts = finishing.message_counts(campaign.pk)
    assert campaign.status == CampaignStatus.CANCELLED
    assert counts == {MessageStatus.ACCEPTED: 100, MessageStatus.CANCELLED: 200}
    with pytest.raises(TransitionRefused):
        controls.resume(campaign, request=request_by(cast.marketer))


def test_resend_failed_only_gives_rejected_messages_new_msg_keys_in_a_new_round(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 200, django_capture_on_commit_callbacks)
    sending.send_batch(enqueued[0])
    # The second batch is refused: its rows lack a placeholder value. The sender's search for culprit
    # rows names the first few alone (refused for their own content) and gives up on the rest.
    Message.objects.filter(campaign=campaign, seq__gt=100).update(values={"name": "x"})
    sending.send_batch(enqueued[1])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PARTLY_SENT
    culprit_rows = set(
        Message.objects.filter(rounds.refused_for_own_content(), campaign=campaign).values_list("seq", flat=True)
    )
    assert culprit_rows and culprit_rows < set(range(101, 201))
    assert controls.resendable(campaign) == 100 - len(culprit_rows)
    Message.objects.filter(campaign=campaign, seq__gt=100).update(values={"name": "x", "money": "5"})
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        campaign = controls.resend_failed(campaign, request=request_by(cast.marketer))
    drive(campaign, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.PARTLY_SENT and campaign.send_round == 2
    resent = Message.objects.get(campaign=campaign, seq=150)
    assert resent.msg_key == campaign.msg_key_for(150, 2) and resent.send_round == 2
    assert resent.status == MessageStatus.ACCEPTED
    kept = Message.objects.get(campaign=campaign, seq=min(culprit_rows))
    assert (kept.status, kept.msg_key, kept.send_round) == (MessageStatus.REJECTED, campaign.msg_key_for(kept.seq), 1)
    assert Message.objects.get(campaign=campaign, seq=50).msg_key == campaign.msg_key_for(50)
    assert len(mpaas_sandbox.messages()) == 200 - len(culprit_rows)
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0


def test_a_big_campaign_starts_sending_its_first_rows_while_the_rest_is_cut(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    cut_later: list[int] = []
    monkeypatch.setattr(queueing, "enqueue_cutting", cut_later.append)
    campaign = started(cast, mpaas_sandbox, 2550, django_capture_on_commit_callbacks)

    assert len(enqueued) == 20 and cut_later == [campaign.pk]
    assert membership.first_uncut_seq(campaign.pk) == 2001
    assert Message.objects.filter(campaign=campaign, seq__gt=membership.cut_upto(campaign.pk)).count() == 550
    for batch_id in list(enqueued):
        sending.send_batch(batch_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING, "finished before every row was cut"

    enqueued.clear()
    cutting.cut_remaining(campaign.pk)
    cut = Batch.objects.filter(pk__in=enqueued).order_by("seq")
    assert [membership.rows_of(b).count() for b in cut] == [100] * 5 + [50]
    drive(campaign, enqueued, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT and mpaas_sandbox.stats()["messagesAccepted"] == 2550


def test_an_approved_campaign_whose_dispatch_was_lost_is_started_by_the_sweeper(
    cast, mpaas_sandbox, enqueued, settings
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 150), cast.reviewer)  # no on_commit hook ran

    sweeper.sweep(now=timezone.now())  # too soon: the approving process may still be dispatching
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED

    later = timezone.now() + timedelta(seconds=3 * settings.PUSHADMIN_SWEEP_SECONDS + 1)
    report = sweeper.sweep(now=later)
    campaign.refresh_from_db()
    assert report.redispatched == [campaign.pk]
    assert campaign.status == CampaignStatus.SENDING
    assert Batch.objects.filter(campaign=campaign).count() == 2


def test_a_batch_put_back_to_pending_after_cancel_is_cancelled_with_its_messages(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 200, django_capture_on_commit_callbacks)
    in_flight = Batch.objects.filter(campaign=campaign).order_by("seq").first()
    Batch.objects.filter(pk=in_flight.pk).update(status=BatchStatus.IN_FLIGHT, claim_token="x")
    campaign = controls.cancel(campaign, request=request_by(cast.marketer))
    # The call in flight came back retryable: the worker put the batch back to pending.
    Batch.objects.filter(pk=in_flight.pk).update(status=BatchStatus.PENDING, claim_token="")
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 100, MessageStatus.DRAFT: 100}

    report = sweeper.sweep()

    assert report.cancelled_batches == [in_flight.pk]
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 200}


def test_a_call_that_cannot_be_prepared_pauses_the_campaign_and_keeps_every_message_pending(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 150, django_capture_on_commit_callbacks)
    # Saved behind the form's back: the API lives at "/", so a path cannot be signed or sent.
    type(cast.workspace).objects.filter(pk=cast.workspace.pk).update(endpoint_url=f"{mpaas_sandbox.url}/api")

    with django_capture_on_commit_callbacks(execute=False):
        outcome = sending.send_batch(enqueued[0])

    campaign.refresh_from_db()
    assert outcome == "not prepared"
    assert campaign.status == CampaignStatus.PAUSED and "could not be prepared" in campaign.pause_reason
    assert not Attempt.objects.filter(campaign=campaign).exists()
    assert Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING).count() == 2
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).count() == 150
    assert mpaas_sandbox.stats()["calls"] == 0


@pytest.mark.parametrize("look", ["rows still to cut", "open batches"])
def test_a_campaign_does_not_finish_when_its_last_slice_is_cut_between_its_looks(
    cast, mpaas_sandbox, enqueued, monkeypatch, look, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(dispatch, "FIRST_CUT_ROWS", 100)
    monkeypatch.setattr(queueing, "enqueue_cutting", lambda campaign_id: None)
    campaign = started(cast, mpaas_sandbox, 250, django_capture_on_commit_callbacks)
    # The first batch was sent and recorded before the cutting task's last slice commits.
    Batch.objects.filter(campaign=campaign).update(status=BatchStatus.DONE)
    Message.objects.filter(campaign=campaign, seq__lte=100).update(status=MessageStatus.ACCEPTED)
    # Where finish_if_done looks, and what it asks there first.
    owner, name = (membership, "first_uncut_seq") if look == "rows still to cut" else (finishing, "Batch")
    real = getattr(owner, name)

    def then_cut(answer):
        """The look has answered; now the cutting task commits its last slice."""
        monkeypatch.setattr(owner, name, real)
        with monkeypatch.context() as inner:
            inner.setattr(finishing, "finish_if_done", lambda campaign_id: None)
            cutting.cut_remaining(campaign.pk)
        return answer

    class Answered:
        """The first answer as it was before the cut; any later look asks again."""

        def __init__(self, rows):
            self.rows, self.first = rows, [then_cut(rows.exists())]

        def exists(self):
            return self.first.pop() if self.first else self.rows.exists()

    class BatchLookedAtOnce:
        class objects:
            @staticmethod
            def filter(*args, **kwargs):
                return Answered(real.objects.filter(*args, **kwargs))

    stub = (lambda campaign_id: then_cut(real(campaign_id))) if owner is membership else BatchLookedAtOnce
    monkeypatch.setattr(owner, name, stub)
    finishing.finish_if_done(campaign.pk)
    monkeypatch.setattr(owner, name, real)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    cutting.cut_remaining(campaign.pk)  # done already if the look came before the other
    assert Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING).count() == 2
    assert finishing.finish_if_done(campaign.pk) is None


def test_a_cancel_that_died_half_way_is_finished_by_the_sweeper(
    cast, mpaas_sandbox, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 250, django_capture_on_commit_callbacks)
    # The cancel committed, then its process died before it had cancelled the unsent rows.
    with monkeypatch.context() as died:
        died.setattr(controls, "cancel_unsent_messages", lambda campaign_id: 0)
        controls.cancel(campaign, request=request_by(cast.marketer))
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).count() == 250

    report = sweeper.sweep()

    assert report.cancelled_campaigns == [campaign.pk]
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert sweeper.sweep().cancelled_campaigns == []


def test_a_batch_failing_its_last_allowed_attempt_pauses_the_campaign_and_says_how_many(
    cast, mpaas_sandbox, enqueued, fast_backoff, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)
    batch = Batch.objects.get(campaign=campaign)
    Batch.objects.filter(pk=batch.pk).update(attempts=verdicts.MAX_ATTEMPTS_PER_BATCH - 2)
    mpaas_sandbox.faults(error5xx=1.0)

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.send_batch(batch.pk) == AttemptResult.RETRYABLE
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING  # 39 calls: one more is allowed

    Batch.objects.filter(pk=batch.pk).update(next_attempt_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_batch(batch.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign.pause_reason.startswith(f"Batch 1 failed {verdicts.MAX_ATTEMPTS_PER_BATCH} times")
    assert Attempt.objects.filter(batch=batch).count() == 2


def test_under_the_resend_policy_a_call_in_doubt_of_a_cancelled_campaign_becomes_unknown(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    cast.workspace.ambiguous_policy = AmbiguousPolicy.RESEND
    campaign = started(cast, mpaas_sandbox, 100, django_capture_on_commit_callbacks)
    batch = Batch.objects.get(campaign=campaign)
    left_in_flight_by_a_dead_worker(batch)
    controls.cancel(campaign, request=request_by(cast.marketer))

    report = sweeper.sweep()

    # It may have reached mPaaS: "cancelled before it was sent" would be a guess.
    assert report.expired_unknown == [batch.pk] and report.expired_resent == []
    assert finishing.message_counts(campaign.pk) == {MessageStatus.UNKNOWN: 100}


def test_one_step_records_each_batch_of_either_round_with_its_own_request_id_and_batch(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = started(cast, mpaas_sandbox, 300, django_capture_on_commit_callbacks)
    first, second, _third = Batch.objects.filter(campaign=campaign).order_by("seq")
    # Rows 1-50 went to a later round's batch (as a resend does); the first round's batch 1 keeps 51-100.
    later = Batch.objects.create(campaign=campaign, seq=1, send_round=2)
    Message.objects.filter(campaign=campaign, seq__lte=50).update(
        send_round=2, status=MessageStatus.PENDING, batch=later
    )

    loaded = sending._load_messages([first, second, later])
    assert [len(c.messages) for c in loaded] == [50, 100, 50]
    accepted = verdicts.CallVerdict(AttemptResult.ACCEPTED, AttemptResult.ACCEPTED, "OK", "", "")
    sending._record_messages(
        [
            (
                sending.SentBatch(
                    c.batch,
                    c.messages,
                    SimpleNamespace(
                        outcome=SimpleNamespace(request_id=f"REQ-{c.batch.pk}", push_result_data=f"task-{c.batch.pk}")
                    ),
                ),
                accepted,
            )
            for c in loaded
        ]
    )

    rows = Message.objects.filter(campaign=campaign, seq__lte=200)
    by_row = {
        seq: (status, request_id, task_id, batch_id)
        for seq, status, request_id, task_id, batch_id in rows.values_list(
            "seq", "status", "request_id", "task_id", "batch_id"
        )
    }
    for seq in range(1, 201):
        batch = later if seq <= 50 else first if seq <= 100 else second
        assert by_row[seq] == (MessageStatus.ACCEPTED, f"REQ-{batch.pk}", f"task-{batch.pk}", batch.pk), seq
    assert set(Message.objects.filter(campaign=campaign, seq__gt=200).values_list("status", "batch_id")) == {
        (MessageStatus.DRAFT, None)
    }


def test_a_long_run_of_skipped_rows_gets_no_batch_and_does_not_hide_the_rows_after_it(
    cast, mpaas_sandbox, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(dispatch, "FIRST_CUT_ROWS", 100)
    monkeypatch.setattr(queueing, "enqueue_cutting", lambda campaign_id: None)
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 1500), cast.reviewer)
    # As the skip policy leaves them: rows 101-1250 will not be sent.
    Message.objects.filter(campaign=campaign, seq__gt=100, seq__lte=1250).update(status=MessageStatus.SKIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)

    assert membership.first_uncut_seq(campaign.pk) == 1251
    cutting.cut_remaining(campaign.pk)
    assert list(Batch.objects.filter(campaign=campaign).order_by("seq").values_list("seq", flat=True)) == [
        1,
        13,
        14,
        15,
    ]
    drive(campaign, enqueued, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT
    assert finishing.message_counts(campaign.pk) == {MessageStatus.ACCEPTED: 350, MessageStatus.SKIPPED: 1150}


def test_the_history_finds_the_calls_of_a_row_before_and_after_its_outcome_is_recorded(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    campaign = started(cast, mpaas_sandbox, 250, django_capture_on_commit_callbacks)
    secret = cast.workspace.reveal_secret_for_signing()
    cast.workspace.set_secret("not-the-secret")
    cast.workspace.save()
    sending.send_batch(enqueued[0])  # refused for the workspace's settings: the rows wait, unrecorded
    refused = Attempt.objects.get(campaign=campaign)

    def calls_for(**search):
        return list(history.calls(cast.workspace, search).order_by("pk"))

    assert calls_for(msg_key=campaign.msg_key_for(7)) == [refused]
    assert calls_for(target=Message.objects.get(campaign=campaign, seq=7).target) == [refused]
    assert calls_for(msg_key=campaign.msg_key_for(150)) == []  # batch 2: no call yet
    # Another workspace's newer unrecorded rows for the same target use up none of the rows looked up.
    monkeypatch.setattr(history, "UNRECORDED_ROWS_LOOKED_UP", 1)
    draft_campaign(cast.other_workspace, cast.outsider, 10, name="Theirs")
    assert calls_for(target=Message.objects.get(campaign=campaign, seq=7).target) == [refused]

    cast.workspace.set_secret(secret)
    cast.workspace.save()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, pause_reason="")
    Batch.objects.filter(campaign=campaign).update(next_attempt_at=None)
    sending.send_batch(enqueued[0])
    accepted = Attempt.objects.get(campaign=campaign, outcome=AttemptResult.ACCEPTED)
    assert Message.objects.get(campaign=campaign, seq=7).batch_id == accepted.batch_id
    assert calls_for(msg_key=campaign.msg_key_for(7)) == [refused, accepted]
