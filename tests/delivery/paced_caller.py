"""One of several processes calling as fast as the shared rate limit lets them (run by test_ratelimit_processes).

    python -m tests.delivery.paced_caller WORKSPACE_ID CALLS_PER_SECOND

Once Django is set up it prints "ready" and reads "START END" (epoch seconds) from its
input. From START until END it reserves call slots a few at a time, as a send task's
group does, "calls" at each slot, and prints {"slots": [...], "calls": [...]}: the times
the bucket gave it and the times it really called.
"""

from __future__ import annotations

import json
import os
import sys
import time

GROUP_CALLS = 4


def paced_calls(workspace_id: int, calls_per_second: float, start: float, end: float) -> dict[str, list[float]]:
    from pushadmin.delivery import ratelimit

    interval = 1.0 / calls_per_second
    slots: list[float] = []
    calls: list[float] = []
    time.sleep(max(0.0, start - time.time()))
    while True:
        now = time.time()
        wait = ratelimit.reserve(workspace_id, calls_per_second, now=now, count=GROUP_CALLS)
        if wait > ratelimit.MAX_WAIT_SECONDS:  # booked too far ahead by the others: nothing was taken
            time.sleep(wait - ratelimit.MAX_WAIT_SECONDS)
            continue
        for number in range(GROUP_CALLS):
            slot = now + wait + number * interval
            if slot >= end:
                return {"slots": slots, "calls": calls}
            time.sleep(max(0.0, slot - time.time()))
            slots.append(slot)
            calls.append(time.time())


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    django.setup()
    workspace_id, rate = int(argv[0]), float(argv[1])
    print("ready", flush=True)
    start, end = (float(part) for part in sys.stdin.readline().split())
    print(json.dumps(paced_calls(workspace_id, rate, start, end)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
