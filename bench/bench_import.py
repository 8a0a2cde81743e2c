"""Streaming audience import at scale: time and peak memory of importing an N-row CSV file.

Writes a CSV of `--rows` rows (with a bad row every 10,000 lines) under its own var folder,
then imports it in a child process so the peak RSS reported is the import's alone. Uses
its own database (default SQLite at var/bench/import.sqlite3; --database-url for PostgreSQL).

    python bench/bench_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_setup import bench_user_and_workspace  # noqa: E402  (after the path is set)

MEMORY_BOUND_MB = 200


def configure(database_url: str | None) -> None:
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PUSHADMIN_VAR_DIR", str(var))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var / 'import.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()


def write_csv(path: Path, rows: int) -> int:
    bad = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("target,name,money,extendedParams\n")
        for line in range(2, rows + 2):
            if line % 10_000 == 0:
                out.write(f",Nobody {line},1,\n")  # empty target
                bad += 1
            else:
                out.write(f'user{line},Name {line},{line % 1000},"{{""seg"":""{line % 7}""}}"\n')
    return bad


def prepare(rows: int) -> tuple[int, int]:

    from pushadmin.audiences.importing import imports_dir, new_stored_name
    from pushadmin.audiences.models import Audience, AudienceImport

    user, workspace = bench_user_and_workspace()
    audience = Audience.objects.create(workspace=workspace, name=f"bench {time.time_ns()}", created_by=user)
    stored = new_stored_name()
    path = imports_dir() / stored
    bad = write_csv(path, rows)
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=path.stat().st_size, created_by=user
    )
    print(f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB, {bad} planted bad rows)")
    return job.pk, bad


def child(import_id: int) -> None:
    from pushadmin.audiences.importing import run_import

    started = time.perf_counter()
    job = run_import(import_id)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert job is not None
    print(
        f"status={job.status} read={job.rows_read:,} imported={job.rows_imported:,} "
        f"rejected={job.rows_rejected:,} time={elapsed:.1f}s rate={job.rows_read / elapsed:,.0f} rows/s "
        f"peak_rss={peak_mb:.0f}MB"
    )
    if job.status != "done":
        raise SystemExit(f"import failed: {job.error}")
    if peak_mb >= MEMORY_BOUND_MB:
        raise SystemExit(f"peak RSS {peak_mb:.0f} MB is over the {MEMORY_BOUND_MB} MB bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure(args.database_url)
    if args.child:
        child(args.child)
        return
    import_id, _ = prepare(args.rows)
    command = [sys.executable, __file__, "--child", str(import_id)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    raise SystemExit(subprocess.call(command, env=os.environ.copy()))


if __name__ == "__main__":
    main()
