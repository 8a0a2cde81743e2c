"""Live gauges of processes that ended without saying goodbye (SIGKILL, out of memory) stop counting.

prometheus-client sums a "live" gauge over one file per process and forgets a file only when told the
process is dead. A worker killed outright never tells, so its calls in flight would count for ever:
a starting worker and every scrape forget the files of processes that no longer exist on this machine
(each machine keeps its own folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def forget() -> int:
    """Mark every process with a live-gauge file here that no longer runs as dead; returns how many."""
    from prometheus_client import multiprocess

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return 0
    dead = {
        int(match.group(1))
        for path in Path(folder).glob("gauge_live*.db")
        if (match := _LIVE_GAUGE_FILE.match(path.name)) and not _alive(int(match.group(1)))
    }
    for pid in dead:
        multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
    return len(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
