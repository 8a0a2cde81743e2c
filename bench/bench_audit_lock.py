"""How long recording waits for the audit chain's lock when several workers record at once.

Starts N processes (default 2 and 4), each writing audit entries for a workspace of its own
in short transactions on PostgreSQL, as a sending worker's recording step does: take the
chain's lock before any row lock, write the entry, commit. Prints, per N, the entries written
per second by all processes together and the mean and 95th percentile of the time spent in
`lock_chain()`.

The database is the script's own: created (from `--server`), migrated with the code measured,
and dropped at the end. `--code` names the checkout whose `pushadmin/` is measured, so the
same script measures an older release:

    python bench/bench_audit_lock.py --database bench_audit_lock
    python bench/bench_audit_lock.py --database bench_audit_lock --code /path/to/older/checkout

`--hold-ms` keeps each transaction open that much longer after the entry is written (a real
recording step also writes attempt, batch and message rows before it commits).

Measured on 2 shared cores (load average ~10 from other work, so rates are the machine's, not
the lock's), 10 s a run, entries/s and lock wait mean / p95:

    hold  N  one chain for the installation     a chain per workspace
    0 ms  2  142/s, 6.9 / 15.9 ms               240/s, 1.1 / 4.5 ms
    0 ms  4  186/s, 15.9 / 33.5 ms              272/s, 2.3 / 7.0 ms
    5 ms  2   53/s, 18.9 / 28.6 ms              105/s, 1.5 / 5.3 ms
    5 ms  4   65/s, 46.0 / 90.5 ms               96/s, 4.8 / 16.0 ms

With a chain per workspace what is left of the "wait" is the transaction's first round trip
(lock_chain() is its first statement) and the scheduling of a loaded machine.
"""

from __future__ import annotations

import argparse
import inspect
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


def configure(code: str, database_url: str) -> None:
    sys.path.insert(0, code)
    var = Path(os.environ.get("PUSHADMIN_VAR_DIR") or ROOT / "var" / "bench")
    var.mkdir(parents=True, exist_ok=True)
    os.environ["PUSHADMIN_VAR_DIR"] = str(var)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()


def take_lock(workspace: Any) -> None:
    from pushadmin.audit import trail

    if inspect.signature(trail.lock_chain).parameters:
        trail.lock_chain(workspace)
    else:
        trail.lock_chain()  # type: ignore[call-arg]  # an older release: one lock for every writer


def worker(code: str, database_url: str, workspace_id: int, seconds: float, hold: float, start: Any, out: Any) -> None:
    configure(code, database_url)
    from django.db import connection, transaction

    from pushadmin.audit import trail
    from pushadmin.workspaces.models import Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    waits: list[float] = []
    start.wait()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        with transaction.atomic():
            began = time.perf_counter()
            take_lock(workspace)
            waits.append(time.perf_counter() - began)
            trail.record("bench.step_recorded", actor_label="bench", workspace=workspace, detail={"n": len(waits)})
            if hold:
                time.sleep(hold)
    connection.close()
    out.put(waits)


def run(code: str, database_url: str, processes: int, seconds: float, hold: float) -> dict[str, float]:
    from pushadmin.workspaces.models import Workspace

    workspaces = list(Workspace.objects.order_by("pk").values_list("pk", flat=True)[:processes])
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    args = (code, database_url)
    workers = [
        context.Process(target=worker, args=(*args, workspace, seconds, hold, start, out)) for workspace in workspaces
    ]
    for process in workers:
        process.start()
    time.sleep(3)  # every process has set Django up and waits for the start
    start.set()
    waits: list[float] = []
    for _ in workers:
        waits.extend(out.get(timeout=seconds + 60))
    for process in workers:
        process.join()
    ordered = sorted(waits)
    return {
        "processes": processes,
        "entries": len(waits),
        "entries_per_s": round(len(waits) / seconds, 1),
        "lock_wait_mean_ms": round(statistics.fmean(waits) * 1000, 3),
        "lock_wait_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_audit_lock", help="created and dropped by the script")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (a loopback address)")
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose pushadmin/ is measured")
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hold-ms", type=float, default=0.0)
    options = parser.parse_args()
    if not options.database.replace("_", "").isalnum():
        parser.error("--database takes letters, digits and underscores only")
    import psycopg

    with psycopg.connect(f"{options.server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {options.database}")
        admin.execute(f"CREATE DATABASE {options.database}")
    database_url = f"{options.server}/{options.database}"
    try:
        configure(options.code, database_url)
        from django.core.management import call_command
        from django.db import connection

        from pushadmin.workspaces.models import Workspace

        call_command("migrate", verbosity=0)
        for n in range(max(options.processes)):
            workspace = Workspace(name=f"Bench {n}", app_id="BENCH", mpaas_workspace_id="default")
            workspace.endpoint_url, workspace.access_key_id = "http://127.0.0.1:8765", "bench"
            workspace.set_secret("bench-secret")
            workspace.save()
        connection.close()
        print(f"code: {options.code}  hold: {options.hold_ms} ms  seconds: {options.seconds}")
        for processes in options.processes:
            print(run(options.code, database_url, processes, options.seconds, options.hold_ms / 1000), flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{options.server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {options.database}")


if __name__ == "__main__":
    main()
