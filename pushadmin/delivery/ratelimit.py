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


def reserve(workspace_id: int, calls_per_second: float, now: float | None = None) -> float:
    """Take the next call slot of the workspace; returns how many seconds to wait before calling.

    A wait above MAX_WAIT_SECONDS is returned without taking the slot.
    """
    now = time.time() if now is None else now
    interval = 1.0 / max(calls_per_second, 0.001)
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [now, now, interval, workspace_id, now + MAX_WAIT_SECONDS])
        row = cursor.fetchone()
    if row is None:
        next_free = RateBucket.objects.filter(workspace_id=workspace_id).values_list("theoretical_arrival", flat=True)
        if next_free:
            return max(0.0, next_free[0] - now)
        RateBucket.objects.get_or_create(workspace_id=workspace_id)
        return reserve(workspace_id, calls_per_second, now)
    slot_starts_at = row[0] - interval
    return max(0.0, slot_starts_at - now)


def hold_off(workspace_id: int, seconds: float, now: float | None = None) -> None:
    """After a throttling reply: no worker of this workspace calls again for `seconds`."""
    now = time.time() if now is None else now
    until = now + seconds
    with connection.cursor() as cursor:
        cursor.execute(_HOLD_SQL, [until, workspace_id, until])
