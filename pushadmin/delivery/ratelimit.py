"""Calls-per-second pacing per workspace, shared by every worker process on every machine.

A generic cell rate algorithm: the workspace's bucket keeps the time at which its next call
may start, and a reservation moves it on by 1/rate per call in one atomic step, so workers
never hand out the same slot and no lock is held while a worker waits for its turn.

Where the bucket lives follows the broker. With Redis (`CELERY_BROKER_URL` redis:// or
rediss://) it is a key per workspace in the broker's database, moved by Lua scripts
(`redis_ratelimit.py`), which keeps the pacing off the database every worker records its
outcomes in. Otherwise (the embedded filesystem broker, RabbitMQ) it is a `RateBucket` row
per workspace, moved by one conditional `UPDATE … RETURNING` (SQLite ≥ 3.35 and PostgreSQL
both have it).
"""

from __future__ import annotations

import functools
import time
from typing import Protocol

from django.conf import settings
from django.db import connection

from pushadmin.delivery.models import RateBucket
from pushadmin.delivery.redis_ratelimit import RedisBucket

# Reservations further ahead than this are given back to the caller as "try later":
# a task must not sleep through its lease.
MAX_WAIT_SECONDS = 2.0

REDIS_SCHEMES = ("redis://", "rediss://")


class Bucket(Protocol):
    def reserve(self, workspace_id: int, now: float, seconds: float, horizon: float) -> tuple[bool, float]: ...

    def give_back(self, workspace_id: int, seconds: float, booked_until: float) -> None: ...

    def hold_off(self, workspace_id: int, until: float, now: float) -> None: ...

    def booked_until(self, workspace_id: int) -> float | None: ...


# A slot further ahead than MAX_WAIT_SECONDS is not taken: the caller gives its batch back,
# and a slot spent on a call that never happens would lower the workspace's real rate.
_RESERVE_SQL = (
    "UPDATE delivery_ratebucket SET theoretical_arrival = "
    "(CASE WHEN theoretical_arrival > %s THEN theoretical_arrival ELSE %s END) + %s "
    "WHERE workspace_id = %s AND theoretical_arrival <= %s RETURNING theoretical_arrival"
)
_HOLD_SQL = (
    "UPDATE delivery_ratebucket SET theoretical_arrival = %s WHERE workspace_id = %s AND theoretical_arrival < %s"
)
# Slots taken but not used go back only while nobody has booked after them.
_GIVE_BACK_SQL = (
    "UPDATE delivery_ratebucket SET theoretical_arrival = theoretical_arrival - %s "
    "WHERE workspace_id = %s AND theoretical_arrival = %s"
)


class DatabaseBucket:
    """The bucket as a `RateBucket` row per workspace."""

    def reserve(self, workspace_id: int, now: float, seconds: float, horizon: float) -> tuple[bool, float]:
        """Book `seconds` of calls unless the next free time is past `horizon`: (booked, next free time after)."""
        with connection.cursor() as cursor:
            cursor.execute(_RESERVE_SQL, [now, now, seconds, workspace_id, horizon])
            row = cursor.fetchone()
        if row is not None:
            return True, row[0]
        next_free = self.booked_until(workspace_id)
        if next_free is not None:
            return False, next_free
        RateBucket.objects.get_or_create(workspace_id=workspace_id)
        return self.reserve(workspace_id, now, seconds, horizon)

    def give_back(self, workspace_id: int, seconds: float, booked_until: float) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_GIVE_BACK_SQL, [seconds, workspace_id, booked_until])

    def hold_off(self, workspace_id: int, until: float, now: float) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_HOLD_SQL, [until, workspace_id, until])

    def booked_until(self, workspace_id: int) -> float | None:
        found = RateBucket.objects.filter(workspace_id=workspace_id).values_list("theoretical_arrival", flat=True)
        return found[0] if found else None


DATABASE_BUCKET = DatabaseBucket()


def bucket() -> Bucket:
    """The Redis bucket when the broker is Redis, else the database one."""
    url: str = settings.CELERY_BROKER_URL
    if url.startswith(REDIS_SCHEMES):
        return _redis_bucket(url)
    return DATABASE_BUCKET


@functools.cache
def _redis_bucket(url: str) -> RedisBucket:
    # One per process and broker URL; redis-py opens new connections in a forked pool child.
    return RedisBucket(url)


def booked_until(workspace_id: int) -> float | None:
    """When the workspace's next call may start (epoch seconds), or None before its first call."""
    return bucket().booked_until(workspace_id)


def reserve(workspace_id: int, calls_per_second: float, now: float | None = None, *, count: int = 1) -> float:
    """Take the next `count` call slots of the workspace; returns how many seconds to wait before the first.

    The slots follow each other 1/rate apart. A wait above MAX_WAIT_SECONDS is returned
    without taking any slot.
    """
    return _reserve(workspace_id, calls_per_second, now, count)[0]


def _reserve(workspace_id: int, calls_per_second: float, now: float | None, count: int) -> tuple[float, float | None]:
    """(seconds to wait, the bucket's new next free time, or None when no slot was taken)."""
    now = time.time() if now is None else now
    booked_seconds = count / max(calls_per_second, 0.001)
    taken, next_free = bucket().reserve(workspace_id, now, booked_seconds, now + MAX_WAIT_SECONDS)
    if not taken:
        return max(0.0, next_free - now), None
    return max(0.0, next_free - booked_seconds - now), next_free


class Slots:
    """Call slots for a task's group of calls: taken a few at a time, one booking for several calls.

    No more are taken at once than fit in MAX_WAIT_SECONDS at the workspace's rate, so a slow
    workspace still reserves one call at a time.
    """

    def __init__(self, workspace_id: int, calls_per_second: float, calls: int) -> None:
        self.workspace_id = workspace_id
        self.calls_per_second = calls_per_second
        self.interval = 1.0 / max(calls_per_second, 0.001)
        self.remaining = calls
        self.retry_in = 0.0
        self._starts: list[float] = []
        self._booked_until: float | None = None

    def wait_for_next(self) -> float | None:
        """Seconds to wait before the next call, or None when the workspace is booked too far ahead."""
        if not self._starts:
            count = max(1, min(self.remaining, int(MAX_WAIT_SECONDS * self.calls_per_second)))
            wait, self._booked_until = _reserve(self.workspace_id, self.calls_per_second, None, count)
            if self._booked_until is None:
                self.retry_in = wait
                return None
            first = time.time() + wait
            self._starts = [first + i * self.interval for i in range(count)]
        self.remaining -= 1
        return max(0.0, self._starts.pop(0) - time.time())

    def give_back_unused(self) -> None:
        """A group that stopped early returns the slots it took and will not use, if still the last booked."""
        if self._starts and self._booked_until is not None:
            bucket().give_back(self.workspace_id, self.interval * len(self._starts), self._booked_until)
            self._starts = []


def hold_off(workspace_id: int, seconds: float, now: float | None = None) -> None:
    """After a throttling reply: no worker of this workspace calls again for `seconds`."""
    now = time.time() if now is None else now
    bucket().hold_off(workspace_id, now + seconds, now)
