"""Starting the sandbox as a child process on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY_MARK = "listening on http://"


class SandboxDidNotStart(RuntimeError):
    pass


def start_sandbox_process(
    args: Sequence[str] = (), command: Sequence[str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Run `python -m pushadmin.sandbox --port 0 ARGS`; return the process and its base URL."""
    argv = list(command or [sys.executable, "-m", "pushadmin.sandbox"])
    # A file, not a pipe, for stderr: nobody reads it while the sandbox runs, and a full pipe would block it.
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115  (lives as long as the process)
    process = subprocess.Popen(
        [*argv, "--host", "127.0.0.1", "--port", "0", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if READY_MARK not in line:
        process.kill()
        process.wait(timeout=10)
        errors.seek(0)
        raise SandboxDidNotStart(f"the sandbox did not start: {line!r} {errors.read()[-2000:]}")
    return process, line.strip().rsplit(" ", 1)[1]
