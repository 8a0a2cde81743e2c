"""Acceptance: a real worker process against the sandbox over HTTP, with faults injected.

The invariants checked after each scenario (reliability notes §2.4): every message ends in
exactly one final state, no MsgKey reached the sandbox twice unless the outcome of a call
was genuinely unknown, and the database's accepted set equals what the sandbox stored.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.utils import timezone

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.celery import app as celery_app
from pushadmin.delivery import dispatch, membership, sending
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, BatchStatus, Message, MessageStatus
from pushadmin.workspaces.models import AmbiguousPolicy
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ENDED = (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED)


def status_of(campaign: Campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


def accepted_keys(campaign: Campaign) -> set[str]:
    return set(
        Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).values_list("msg_key", flat=True)
    )


def send_and_wait(campaign: Campaign, timeout: float) -> str:
    dispatch.on_approved(campaign.pk)
    return wait_for(lambda: status_of(campaign) in ENDED and status_of(campaign), timeout=timeout, what="the end")


def test_throttling_and_server_errors_still_deliver_every_message_exactly_once(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    # Seeded: the dice throw a 5xx at the second call and throttling at the fourth (then at random).
    mpaas_sandbox.faults(throttle=0.3, error5xx=0.1, seed=7)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 5000), cast.reviewer)

    assert send_and_wait(campaign, timeout=120) == CampaignStatus.SENT

    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert len(stored) == len(set(stored)) == 5000
    assert set(stored) == accepted_keys(campaign)
    stats = mpaas_sandbox.stats()
    assert stats["duplicateMsgKeys"] == 0
    assert (
        stats["faultsInjected"].get("Throttling.User", 0) > 0
        and stats["faultsInjected"].get("ServiceUnavailable", 0) > 0
    )
    attempts = Attempt.objects.filter(campaign=campaign)
    assert attempts.filter(outcome=AttemptResult.THROTTLED).count() == stats["faultsInjected"]["Throttling.User"]
    assert attempts.filter(outcome=AttemptResult.RETRYABLE).count() == stats["faultsInjected"]["ServiceUnavailable"]
    assert attempts.filter(outcome=AttemptResult.ACCEPTED).count() == 50


def test_replies_dropped_after_accepting_leave_unknown_messages_and_no_duplicate(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=500)
    # Seeded: the first accepted call's reply is dropped for sure (then at random).
    mpaas_sandbox.faults(dropAfterAccept=0.3, seed=1)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 1500), cast.reviewer)

    assert send_and_wait(campaign, timeout=90) == CampaignStatus.PARTLY_SENT

    stats = mpaas_sandbox.stats()
    dropped_calls = stats["faultsInjected"]["dropAfterAccept"]
    assert dropped_calls > 0 and stats["duplicateMsgKeys"] == 0
    unknown = Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN)
    assert unknown.count() == dropped_calls * 100
    assert Attempt.objects.filter(campaign=campaign, outcome=AttemptResult.AMBIGUOUS).count() == dropped_calls
    # The sandbox did apply those calls: what it stored is exactly accepted + unknown.
    stored = {m["msgKey"] for m in mpaas_sandbox.messages()}
    assert stored == accepted_keys(campaign) | set(unknown.values_list("msg_key", flat=True))
    assert (
        Message.objects.filter(campaign=campaign)
        .exclude(status__in=[MessageStatus.ACCEPTED, MessageStatus.UNKNOWN])
        .count()
        == 0
    )


def kill_mid_campaign(cast, sandbox, worker, *, ambiguous_policy: str) -> tuple[Campaign, int]:
    """Send 20,000 targets, SIGKILL the worker a fifth of the way in, restart it and wait for the end.

    Returns the campaign and how many of its batches were in flight when the worker died.
    """
    point_at(cast.workspace, sandbox.url, calls_per_second=1000, ambiguous_policy=ambiguous_policy)
    sandbox.faults(latencyMs=5)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 20_000), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: sandbox.stats()["messagesAccepted"] >= 4000, timeout=60, what="a fifth of the campaign")

    worker.kill()
    in_flight_at_kill = Batch.objects.filter(campaign=campaign, status=BatchStatus.IN_FLIGHT).count()
    time.sleep(1)
    worker.start()

    wait_for(lambda: status_of(campaign) in ENDED, timeout=180, what="the campaign to complete")
    return campaign, in_flight_at_kill


def test_a_worker_killed_mid_campaign_and_restarted_completes_with_every_target_accepted_once(
    cast, mpaas_sandbox, celery_worker
):
    # Resending with the same MsgKeys is the policy that can finish a batch whose call a dead
    # worker left unanswered; the sandbox keeps the first copy of a MsgKey (mPaaS-style dedup).
    campaign, in_flight_at_kill = kill_mid_campaign(
        cast, mpaas_sandbox, celery_worker, ambiguous_policy=AmbiguousPolicy.RESEND
    )
    assert status_of(campaign) == CampaignStatus.SENT
    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert len(stored) == len(set(stored)) == 20_000
    assert set(stored) == accepted_keys(campaign)
    # Only calls cut off by the kill may have carried a MsgKey a second time.
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] <= max(in_flight_at_kill, celery_worker.concurrency) * 100


def test_a_worker_killed_under_the_default_policy_leaves_only_its_calls_in_doubt_unknown(
    cast, mpaas_sandbox, celery_worker
):
    # Default policy: no duplicates. Only calls the dead worker may have made become unknown;
    # batches it had claimed but not yet called go back and are sent normally.
    campaign, in_flight_at_kill = kill_mid_campaign(
        cast, mpaas_sandbox, celery_worker, ambiguous_policy=AmbiguousPolicy.MARK_UNKNOWN
    )
    unknown = Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN)
    assert in_flight_at_kill <= settings.PUSHADMIN_SEND_CALLS_PER_STEP * celery_worker.concurrency
    assert unknown.count() <= in_flight_at_kill * membership.BATCH_SIZE
    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0 and len(stored) == len(set(stored))
    # Everything not in doubt was sent once and recorded as accepted; the rest is unknown, not lost.
    assert accepted_keys(campaign) == set(stored) - set(unknown.values_list("msg_key", flat=True))
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).count() + unknown.count() == 20_000
    assert status_of(campaign) == (CampaignStatus.PARTLY_SENT if unknown.exists() else CampaignStatus.SENT)


GATEWAY_LATENCY_MS = 200


def test_a_worker_killed_with_a_full_window_in_flight_leaves_only_calls_that_left_in_doubt(
    cast, mpaas_sandbox, celery_worker
):
    """A distant gateway (200 ms a call), every pool process with calls in flight, the whole worker SIGKILLed.

    Only batches whose call had been started may end unknown; the batches the dead worker had
    claimed but not yet called go back to pending and are sent by the next worker, each MsgKey once.
    """
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000, ambiguous_policy=AmbiguousPolicy.MARK_UNKNOWN)
    mpaas_sandbox.faults(latencyMs=GATEWAY_LATENCY_MS)
    targets = 3 * settings.PUSHADMIN_SEND_GROUP_BATCHES * membership.BATCH_SIZE
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets), cast.reviewer)
    window = sending.window_size(cast.workspace, settings.PUSHADMIN_SEND_CALLS_PER_STEP)
    batches = Batch.objects.filter(campaign=campaign)
    dispatch.on_approved(campaign.pk)
    wait_for(
        lambda: (
            mpaas_sandbox.stats()["messagesAccepted"] > 0
            and batches.filter(status=BatchStatus.IN_FLIGHT).count() >= window
        ),
        timeout=60,
        interval=0.02,
        what="a full window of calls in flight",
    )

    celery_worker.kill()
    killed_at = timezone.now()
    in_flight = list(batches.filter(status=BatchStatus.IN_FLIGHT))
    claimed = list(batches.filter(status=BatchStatus.CLAIMED))
    stored_at_kill = {m["msgKey"] for m in mpaas_sandbox.messages()}
    celery_worker.start()  # its beat runs the sweeper, which takes the expired claims and leases back
    wait_for(lambda: status_of(campaign) in ENDED, timeout=180, what="the campaign to complete")

    assert claimed, "the dead worker should have held claimed batches whose calls had not started"
    unknown = set(
        Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN).values_list("msg_key", flat=True)
    )
    # In doubt: exactly the batches whose call had been started, at most a step's calls per pool process.
    assert unknown == keys_of(in_flight)
    assert window <= len(in_flight) <= celery_worker.concurrency * settings.PUSHADMIN_SEND_CALLS_PER_STEP
    assert len(unknown) <= celery_worker.concurrency * settings.PUSHADMIN_SEND_CALLS_PER_STEP * membership.BATCH_SIZE
    # Not in doubt: the claimed batches never reached the gateway, and the next worker sent them, once.
    never_called = keys_of(claimed)
    assert not never_called & stored_at_kill
    assert never_called <= accepted_keys(campaign)
    resent = Attempt.objects.filter(batch__in=claimed, outcome=AttemptResult.ACCEPTED)
    assert resent.filter(started_at__gte=killed_at).count() == len(claimed)
    assert not Attempt.objects.filter(batch__in=claimed).exclude(outcome=AttemptResult.ACCEPTED).exists()
    # No MsgKey applied twice, every target in one final state, the gateway's record matching ours.
    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0 and len(stored) == len(set(stored))
    assert accepted_keys(campaign) == set(stored) - unknown
    assert len(accepted_keys(campaign)) + len(unknown) == targets
    assert status_of(campaign) == CampaignStatus.PARTLY_SENT


def keys_of(batches: list[Batch]) -> set[str]:
    return set(Message.objects.filter(membership.in_batches(batches)).values_list("msg_key", flat=True))


def test_tasks_lost_by_the_broker_are_re_driven_from_the_database(cast, mpaas_sandbox, celery_worker):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=20)
    # Enough batches for tasks to wait in the queue behind the one running and the one prefetched.
    targets = 3 * settings.PUSHADMIN_SEND_GROUP_BATCHES * membership.BATCH_SIZE
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: mpaas_sandbox.stats()["messagesAccepted"] >= 300, timeout=30, what="the first batches")

    with celery_app.connection_for_write() as connection:
        purged = connection.default_channel.queue_purge(celery_worker.queue)
    assert purged, "the broker still held queued batch tasks to lose"

    wait_for(lambda: status_of(campaign) in ENDED, timeout=90, what="the campaign to complete")
    assert status_of(campaign) == CampaignStatus.SENT
    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert len(stored) == len(set(stored)) == targets
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0


def test_a_broker_restarted_mid_campaign_loses_nothing(cast, mpaas_sandbox, celery_worker):
    """Redis restarted without its data: every connection drops and every queued task is gone."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the embedded filesystem broker has no server to restart (its lost tasks: the test above)")
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=20)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 3000), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: mpaas_sandbox.stats()["messagesAccepted"] >= 300, timeout=30, what="the first batches")

    restart_redis_for_this_app(settings.CELERY_BROKER_URL)

    wait_for(lambda: status_of(campaign) in ENDED, timeout=90, what="the campaign to complete")
    assert status_of(campaign) == CampaignStatus.SENT
    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    assert len(stored) == len(set(stored)) == 3000
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0
    assert celery_worker.running


def restart_redis_for_this_app(url: str) -> None:
    """What a restart without persistence does to this app: its connections drop and its data is gone.

    Only this app's Redis database is touched (its clients killed, its keys flushed), so other
    users of the same server on this machine are left alone.
    """
    import redis

    server = redis.Redis.from_url(url)
    database = server.connection_pool.connection_kwargs.get("db", 0)
    own_id = server.client_id()
    clients = [c for c in server.client_list() if int(c["db"]) == database and int(c["id"]) != own_id]
    assert clients, "the worker should be connected to the broker"
    assert server.dbsize() > 0, "the broker should hold queued tasks to lose"
    server.flushdb()
    for client in clients:
        server.client_kill_filter(_id=client["id"])
    server.close()
