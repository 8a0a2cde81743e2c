"""Calls-per-second pacing shared through the database, or through Redis when the broker is Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushadmin.delivery import ratelimit
from pushadmin.delivery.redis_ratelimit import RedisBucket
from tests.delivery.shared_buckets import forget_redis_buckets, redis_broker_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_buckets() -> Iterator[None]:
    """Database rows roll back with each test; Redis keys do not, and these tests set their own clock."""
    broker = redis_broker_url()  # read now: a test below points the setting elsewhere
    forget_redis_buckets(broker)
    yield
    forget_redis_buckets(broker)


@pytest.mark.parametrize("broker", ["redis://127.0.0.1:6379/4", "rediss://:pw@127.0.0.1:6380/2"])
def test_a_redis_broker_keeps_the_buckets_in_its_own_database(settings, broker):
    settings.CELERY_BROKER_URL = broker
    kept_in = ratelimit.bucket()
    assert isinstance(kept_in, RedisBucket)
    assert kept_in.server.connection_pool.connection_kwargs["db"] == int(broker[-1])


@pytest.mark.parametrize("broker", ["filesystem://", "amqp://guest@127.0.0.1:5672//"])
def test_other_brokers_leave_the_buckets_in_the_database(settings, broker):
    settings.CELERY_BROKER_URL = broker
    assert ratelimit.bucket() is ratelimit.DATABASE_BUCKET


def test_consecutive_reservations_are_spaced_by_one_over_the_rate(cast):
    now = 1_000_000.0
    waits = [ratelimit.reserve(cast.workspace.pk, 5, now=now) for _ in range(6)]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_an_idle_bucket_does_not_save_up_a_burst(cast):
    ratelimit.reserve(cast.workspace.pk, 10, now=100.0)
    assert ratelimit.reserve(cast.workspace.pk, 10, now=200.0) == 0.0
    assert ratelimit.reserve(cast.workspace.pk, 10, now=200.0) == pytest.approx(0.1)


def test_workspaces_are_paced_independently(cast):
    ratelimit.reserve(cast.workspace.pk, 1, now=50.0)
    assert ratelimit.reserve(cast.other_workspace.pk, 1, now=50.0) == 0.0
    assert ratelimit.reserve(cast.workspace.pk, 1, now=50.0) == pytest.approx(1.0)


def test_throttling_holds_off_every_caller_of_the_workspace(cast):
    ratelimit.reserve(cast.workspace.pk, 100, now=10.0)
    ratelimit.hold_off(cast.workspace.pk, 3.0, now=10.0)
    assert ratelimit.reserve(cast.workspace.pk, 100, now=10.0) == pytest.approx(3.0)


def test_a_slot_too_far_ahead_is_reported_but_not_taken(cast):
    now = 500.0
    taken = [ratelimit.reserve(cast.workspace.pk, 1, now=now) for _ in range(3)]
    refused = [ratelimit.reserve(cast.workspace.pk, 1, now=now) for _ in range(5)]
    assert taken == pytest.approx([0.0, 1.0, 2.0])
    # Every caller is told the same wait: the refused reservations did not push the next slot further.
    assert refused == pytest.approx([3.0] * 5)
    assert ratelimit.reserve(cast.workspace.pk, 1, now=now + 1.0) == pytest.approx(2.0)


def bucket(workspace) -> float | None:
    return ratelimit.booked_until(workspace.pk)


def test_a_group_takes_several_slots_at_once_and_returns_those_it_did_not_use(cast):
    slots = ratelimit.Slots(cast.workspace.pk, 10, calls=5)
    assert slots.wait_for_next() == pytest.approx(0.0, abs=0.01)
    booked = bucket(cast.workspace)
    slots.wait_for_next()

    slots.give_back_unused()

    # Five were booked in one go; the three never used are free again for other workers.
    assert bucket(cast.workspace) == pytest.approx(booked - 0.3)


def test_unused_slots_stay_taken_when_someone_booked_after_them(cast):
    slots = ratelimit.Slots(cast.workspace.pk, 10, calls=5)
    slots.wait_for_next()
    ratelimit.reserve(cast.workspace.pk, 10)
    after_other = bucket(cast.workspace)

    slots.give_back_unused()

    assert bucket(cast.workspace) == after_other
