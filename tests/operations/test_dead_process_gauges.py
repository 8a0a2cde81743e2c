"""A process killed outright stops counting in the live gauges at the next scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pushadmin.operations import dead_process_gauges


def test_the_live_gauge_file_of_a_process_that_no_longer_runs_is_forgotten(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    (tmp_path / f"gauge_livesum_{dead_pid}.db").write_bytes(b"\0" * 16)
    (tmp_path / f"gauge_livesum_{os.getpid()}.db").write_bytes(b"\0" * 16)
    (tmp_path / f"counter_{dead_pid}.db").write_bytes(b"\0" * 16)

    assert dead_process_gauges.forget() == 1

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"counter_{dead_pid}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ]
