"""Calls-per-second pacing per workspace, shared by every worker through the database.

A generic cell rate algorithm: the bucket row keeps the time at which the next call may
start. Reserving a slot is one conditional `UPDATE … RETURNING` (SQLite ≥ 3.35 and
PostgreSQL both have it), so workers on several machines never hand out the same slot and
no lock is held while a worker waits for its turn.
"""

from __future__ import annotations

import time

from django.db import connection

from pushadmin.delivery.models import RateBucket

# Reservations further ahead than this are given back to the caller as "try later":
# a task must not sleep through its lease.
MAX_WAIT_SECONDS = 2.0

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


def reserve(workspace_id: int, calls_per_second: float, now: float | None = None, *, count: int = 1) -> float:
    """Take the next `count` call slots of the workspace; returns how many seconds to wait before the first.

    The slots follow each other 1/rate apart. A wait above MAX_WAIT_SECONDS is returned
    without taking any slot.
    """
    return _reserve(workspace_id, calls_per_second, now, count)[0]


def _reserve(workspace_id: int, calls_per_second: float, now: float | None, count: int) -> tuple[float, float | None]:
    """(seconds to wait, the bucket's new theoretical arrival, or None when no slot was taken)."""
    now = time.time() if now is None else now
    interval = 1.0 / max(calls_per_second, 0.001)
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [now, now, interval * count, workspace_id, now + MAX_WAIT_SECONDS])
        row = cursor.fetchone()
    if row is None:
        next_free = RateBucket.objects.filter(workspace_id=workspace_id).values_list("theoretical_arrival", flat=True)
        if next_free:
            return max(0.0, next_free[0] - now), None
        RateBucket.objects.get_or_create(workspace_id=workspace_id)
        return _reserve(workspace_id, calls_per_second, now, count)
    slot_starts_at = row[0] - interval * count
    return max(0.0, slot_starts_at - now), row[0]


# Slots taken but not used go back only while nobody has booked after them.
_GIVE_BACK_SQL = (
    "UPDATE delivery_ratebucket SET theoretical_arrival = theoretical_arrival - %s "
    "WHERE workspace_id = %s AND theoretical_arrival = %s"
)


class Slots:
    """Call slots for a task's group of calls: taken a few at a time, one UPDATE for several calls.

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
            with connection.cursor() as cursor:
                cursor.execute(
                    _GIVE_BACK_SQL, [self.interval * len(self._starts), self.workspace_id, self._booked_until]
                )
            self._starts = []


def hold_off(workspace_id: int, seconds: float, now: float | None = None) -> None:
    """After a throttling reply: no worker of this workspace calls again for `seconds`."""
    now = time.time() if now is None else now
    until = now + seconds
    with connection.cursor() as cursor:
        cursor.execute(_HOLD_SQL, [until, workspace_id, until])
