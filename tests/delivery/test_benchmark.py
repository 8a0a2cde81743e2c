"""bench_send's crash drill: a worker is killed with everything it started, and its death is reported."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from pushadmin.delivery.benchmark import WorkerDeaths, kill_worker


def _process_group_with_a_child(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """A leader that started a child of its own (as a prefork worker starts its pool), in its own group."""
    child_pid_file = tmp_path / "child.pid"
    leader = subprocess.Popen(["sh", "-c", f"sleep 60 & echo $! > {child_pid_file}; wait"], process_group=0, text=True)
    deadline = time.monotonic() + 10
    while not child_pid_file.exists() or not child_pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.01)
    return leader, int(child_pid_file.read_text())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killing_a_worker_kills_its_whole_process_group(tmp_path: Path) -> None:
    leader, child = _process_group_with_a_child(tmp_path)

    killed = kill_worker(leader, began=time.monotonic())
    leader.wait(timeout=10)

    assert killed["pid"] == leader.pid
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)


def test_a_dead_worker_is_reported_once_with_its_signal_while_the_others_carry_on(tmp_path: Path) -> None:
    survivor, _ = _process_group_with_a_child(tmp_path)
    victim = subprocess.Popen(["sleep", "60"], process_group=0, text=True)
    deaths = WorkerDeaths(began=time.monotonic())
    try:
        deaths.look([survivor, victim])
        assert deaths.seen == {}

        kill_worker(victim, began=deaths.began)
        victim.wait(timeout=10)
        deaths.look([survivor, victim])
        deaths.look([survivor, victim])

        assert list(deaths.seen) == [victim.pid]
        assert deaths.seen[victim.pid]["exit"] == "SIGKILL"
        assert not deaths.all_gone([survivor, victim])
    finally:
        kill_worker(survivor, began=deaths.began)
        survivor.wait(timeout=10)


def test_a_worker_that_exits_is_reported_with_its_exit_code() -> None:
    worker = subprocess.Popen(["sh", "-c", "exit 3"], process_group=0, text=True)
    worker.wait(timeout=10)
    deaths = WorkerDeaths(began=time.monotonic())

    deaths.look([worker])

    assert deaths.seen[worker.pid]["exit"] == 3
    assert deaths.all_gone([worker])
