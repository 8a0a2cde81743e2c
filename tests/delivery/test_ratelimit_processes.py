"""Several real processes share one Redis bucket: together they call at the workspace's rate, never above it.

Checked on the slot times the bucket hands out, and that no call leaves before its slot: on a
busy machine a process may wake a few milliseconds after its slot, which no limiter prevents.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.delivery.shared_buckets import forget_redis_buckets, redis_broker_url

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
CALLS_PER_SECOND = 40
SECONDS = 5.0


def most_in_one_second(times: list[float]) -> int:
    """The most times in any window of one second (slot times are sums of floats: a microsecond's slack)."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0 - 1e-6:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.skipif(redis_broker_url() is None, reason="the Redis bucket is used only when CELERY_BROKER_URL is Redis")
def test_processes_sharing_a_redis_bucket_reach_the_rate_and_never_exceed_it():
    workspace_id = 2_000_000_000 + uuid.uuid4().int % 100_000_000  # a bucket of its own
    callers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.delivery.paced_caller", str(workspace_id), str(CALLS_PER_SECOND)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for caller in callers:
            assert caller.stdout is not None and caller.stdout.readline().strip() == "ready"
        start = time.time() + 0.5
        end = start + SECONDS
        for caller in callers:
            assert caller.stdin is not None
            caller.stdin.write(f"{start!r} {end!r}\n")
            caller.stdin.flush()
        per_process = [json.loads(caller.communicate(timeout=60)[0]) for caller in callers]
    finally:
        for caller in callers:
            if caller.poll() is None:
                caller.kill()
        forget_redis_buckets(redis_broker_url())

    slots = sorted(at for made in per_process for at in made["slots"])
    assert all(made["slots"] for made in per_process), "every process should have had its turn"
    assert all(start <= at < end for at in slots)
    # The bucket starts idle at `start`, so it has at most rate * duration slots before `end`.
    assert len(slots) <= CALLS_PER_SECOND * SECONDS
    assert len(slots) >= 0.9 * CALLS_PER_SECOND * SECONDS
    assert most_in_one_second(slots) <= CALLS_PER_SECOND
    # No call left before its slot (one woken late on a busy machine only goes later).
    assert all(call >= slot for made in per_process for slot, call in zip(made["slots"], made["calls"], strict=True))
