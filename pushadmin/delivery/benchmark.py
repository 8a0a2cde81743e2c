"""`bench_send`: send a throwaway campaign end to end through real worker processes and time it.

What is timed is what a marketer waits for: from the approval hook (`dispatch.on_approved`,
which cuts the batches and enqueues them) until the campaign has ended, with W real Celery
worker processes on the configured database and broker, each claiming, signing, sending
and recording batches. Building the test data beforehand is not timed.

As in production (`make run`, `serve_all`), one `celery beat` scheduler runs alongside the workers,
so the sweeper re-drives every `PUSHADMIN_SWEEP_SECONDS` what a dead worker left. A worker that
dies does not end the run: it is reported (`workers_died`: pid, exit code or signal, seconds into
sending) and the others carry on until the campaign ends. `kill_worker_after` SIGKILLs one worker's
whole process group that many seconds into sending, for a crash drill; `messages_by_state` then
shows what the sweeper made of its calls in doubt.

Measured on the shared 2-core machine (other people's tests and benchmarks ran meanwhile, hence the
load average; CPU/msg is the whole machine's busy CPU a message, theirs included), 2 solo workers,
1,000,000 targets, `--sdk-baseline 2000`; window 8 and 10 calls per step (the defaults then):

| database, broker | latency | msg/s | SDK loop msg/s | vs SDK | worker RSS | approval to accepted | CPU/msg | load |
|---|---|---|---|---|---|---|---|---|
| SQLite, filesystem | 50 ms | 9,337 | 1,657 | 5.6 | 123 MB | 1.46 s | 0.21 ms | 6.5 |
| SQLite, filesystem | 200 ms | 3,849 (260 s) | 464 | 8.3 | 120 MB | 2.48 s | 0.42 ms | 8.2 |
| SQLite, filesystem | none | 6,175 | 20,027 | 0.3 | 121 MB | 1.74 s | 0.32 ms | 7.8-10.4 |
| PostgreSQL, Redis | 50 ms | 8,461 | 1,495 | 5.7 | 130 MB | 2.39 s | 0.22 ms | 5.8 |
| PostgreSQL, Redis | 200 ms | 4,022 (249 s) | 482 | 8.3 | 127 MB | 1.18 s | 0.41 ms | 3.0 |
| PostgreSQL, Redis | none | 12,898 | 10,008 | 1.3 | 127 MB | 0.61 s | 0.14 ms | 5.4 |

With the window a whole step (10, the default since), same runs, a quieter machine:

| database, broker | latency | msg/s | SDK loop msg/s | vs SDK | worker RSS | approval to accepted | CPU/msg | load |
|---|---|---|---|---|---|---|---|---|
| SQLite, filesystem | 200 ms | 7,241 (138 s) | 474 | 15.3 | 120 MB | 0.86 s | 0.16 ms | 2.2 |
| PostgreSQL, Redis | 50 ms | 15,278 | 1,773 | 8.6 | 128 MB | 0.46 s | 0.08 ms | 1.1 |

Crash drill (SQLite, 200,000 targets, 50 ms, `--kill-worker-after 10`): the killed worker's one step
of 10 calls ended unknown (1,000 messages), its claimed but uncalled batches went back to pending
once their claim expired and were sent by the other worker; 199,000 accepted, campaign partly sent
after 94.6 s (the 60 s lease, then a sweep).

Where the time goes (SQLite, 200,000 targets, env settings, minutes apart, load 2-4):

| window / calls per step / batches per group | 50 ms | 200 ms |
|---|---|---|
| 8 / 10 / 20 (old defaults) | 10,564 | 4,411 |
| 10 / 10 / 20 (new default: the window is a whole step) | 14,415 | 7,218 |
| 32 / 32 / 20 (a step is capped by its group: 20 calls) | 17,127 | 11,176 |
| 32 / 32 / 64 | - | 11,392 |
| 64 / 64 / 64 | - | 14,876 |

A worker's one thread signs, calls and records a step, then the next: the gateway's latency is paid
once per step on top of the step's own work (about 0.055 ms of worker CPU a message), so 20,000 msg/s
at 200 ms needs the next step's calls in flight while the last one is recorded, not only a wider step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from pushadmin.audiences.models import Audience, AudienceMember
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from pushadmin.delivery import dispatch, sdk_baseline
from pushadmin.delivery.models import Attempt, Batch, Message, MessageStatus
from pushadmin.sandbox.process import start_sandbox_process
from pushadmin.workspaces.models import Workspace

ROOT = Path(settings.BASE_DIR)
TEMPLATE_NAME = "pushadmin-bench"
TEMPLATE_TITLE = "Congratulations"
TEMPLATE_CONTENT = "Hello #name#, congratulations on winning #money# yuan"
BENCH_CREDENTIAL = ("pushadmin-bench", "pushadmin-bench-secret")
UNLIMITED_RATE = 10_000
ENDED = (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED, CampaignStatus.CANCELLED)
INSERT_CHUNK = 5000


@dataclass
class BenchOptions:
    targets: int = 100_000
    endpoint: str | None = None
    access_key: tuple[str, str] | None = None
    signature: str = "v3"
    workers: int = 2
    rate: int | None = None
    timeout: float = 3600.0
    keep_rows: bool = False
    latency_ms: int = 0  # added by the sandbox started for the run, as a distant gateway would
    kill_worker_after: float | None = None  # SIGKILL one worker's process group this long into sending
    sdk_baseline: int = 0  # targets sent through the official SDK's sequential loop first, for comparison
    # Called with the approved campaign just before sending starts; what it returns is called once
    # the campaign has ended (e.g. people browsing the console meanwhile, see bench/bench_console_load.py).
    alongside: Callable[[Campaign], Callable[[], None]] | None = None


@dataclass
class Processes:
    sandbox: subprocess.Popen[str] | None = None
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    scheduler: subprocess.Popen[str] | None = None
    peak_rss_mb: float = 0.0
    # Each worker's CPU seconds as last seen alive: a worker killed mid-run keeps what it had used.
    last_cpu_s: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch_memory(self) -> None:
        def sample() -> None:
            while not self._stop.is_set():
                for worker in self.workers:
                    if worker.poll() is None:
                        self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(worker.pid))
                        self.last_cpu_s[worker.pid] = cpu_seconds(worker.pid) or self.last_cpu_s.get(worker.pid, 0.0)
                time.sleep(0.25)

        threading.Thread(target=sample, daemon=True).start()

    def worker_cpu_seconds(self) -> float:
        return sum(cpu_seconds(w.pid) or self.last_cpu_s.get(w.pid, 0.0) for w in self.workers)

    def stop(self) -> None:
        self._stop.set()
        others = [p for p in (self.scheduler, self.sandbox) if p is not None]
        for process in [*self.workers, *others]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, *others]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


@dataclass
class WorkerDeaths:
    """Workers that exited while the campaign was still sending, in the order they were seen gone."""

    began: float
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)

    def look(self, workers: list[subprocess.Popen[str]]) -> None:
        for worker in workers:
            code = worker.poll()
            if code is not None and worker.pid not in self.seen:
                self.seen[worker.pid] = {
                    "pid": worker.pid,
                    # Popen's negative code is the signal that ended it.
                    "exit": signal.Signals(-code).name if code < 0 else code,
                    "after_s": round(time.monotonic() - self.began, 2),
                }

    def all_gone(self, workers: list[subprocess.Popen[str]]) -> bool:
        return len(self.seen) == len(workers)


def kill_worker(worker: subprocess.Popen[str], began: float) -> dict[str, Any]:
    """SIGKILL a worker's whole process group (its pool children too), as a machine's crash would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    return {"pid": worker.pid, "after_s": round(time.monotonic() - began, 2)}


def rss_mb(pid: int) -> float:
    """Resident memory of one worker: its process and every pool child (Linux /proc)."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (OSError, StopIteration, ValueError):
            continue
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc), to compare runs on a busy machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of this machine has spent busy so far (Linux /proc/stat): with the
    workers' and the sandbox's own figures, it shows what the database and broker took."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def start_sandbox(folder: Path, latency_ms: int = 0) -> tuple[subprocess.Popen[str], str]:
    templates = folder / "templates.json"
    templates.write_text(json.dumps([{"name": TEMPLATE_NAME, "title": TEMPLATE_TITLE, "content": TEMPLATE_CONTENT}]))
    credential = ":".join(BENCH_CREDENTIAL)
    return start_sandbox_process(
        ["--templates", str(templates), "--credential", credential, "--latency-ms", str(latency_ms)]
    )


def _celery_env(queue: str) -> dict[str, str]:
    return {**os.environ, "PUSHADMIN_CELERY_QUEUE": queue, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}


def start_scheduler(queue: str, folder: Path) -> subprocess.Popen[str]:
    """The `celery beat` scheduler production runs once per installation, sending the sweeper (and the
    other periodic tasks) to this run's queue; its schedule file lives in the run's own folder."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "pushadmin", "beat", "--loglevel", "WARNING"),
            *("--schedule", str(folder / "celerybeat-schedule"), "--pidfile", str(folder / "celerybeat.pid")),
        ],
        cwd=ROOT,
        env=_celery_env(queue),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def start_workers(count: int, queue: str) -> list[subprocess.Popen[str]]:
    """W worker processes, one task at a time each (solo pool): one process per core.

    Each leads its own process group, so a crash drill can kill a worker with everything it started.
    """
    env = _celery_env(queue)
    workers = []
    for number in range(count):
        workers.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "pushadmin", "worker", "--pool", "solo"),
                    *("--queues", queue, "--hostname", f"bench{number}-{queue}@%h", "--without-gossip"),
                    *("--without-mingle", "--without-heartbeat", "--loglevel", "INFO"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                process_group=0,
            )
        )
    for worker in workers:
        _wait_ready(worker)
    return workers


def _wait_ready(worker: subprocess.Popen[str]) -> None:
    stdout = worker.stdout
    assert stdout is not None
    deadline = time.monotonic() + 90
    seen: list[str] = []
    for line in stdout:
        seen.append(line)
        if " ready." in line:
            # Keep draining its output so a full pipe never blocks the worker.
            threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()
            return
        if time.monotonic() > deadline:
            break
    raise RuntimeError("a worker did not start:\n" + "".join(seen[-30:]))


def build_campaign(options: BenchOptions, endpoint: str, key: tuple[str, str]) -> Campaign:
    user, _ = get_user_model().objects.get_or_create(username="pushadmin-bench", defaults={"is_active": False})
    tag = uuid.uuid4().hex[:8]
    workspace = Workspace(
        name=f"bench {tag}",
        app_id="BENCH0000000001",
        mpaas_workspace_id="bench",
        endpoint_url=endpoint,
        access_key_id=key[0],
        signature_scheme=options.signature,
        calls_per_second=options.rate or UNLIMITED_RATE,
    )
    workspace.set_secret(key[1])
    workspace.save()
    template = Template.objects.create(
        workspace=workspace, name=TEMPLATE_NAME, title=TEMPLATE_TITLE, content=TEMPLATE_CONTENT, created_by=user
    )
    audience = Audience.objects.create(workspace=workspace, name=f"bench {tag}", created_by=user)
    campaign = Campaign.objects.create(
        workspace=workspace, name=f"bench {tag}", template=template, audience=audience, created_by=user
    )
    for start in range(1, options.targets + 1, INSERT_CHUNK):
        seqs = range(start, min(start + INSERT_CHUNK, options.targets + 1))
        values = [{"name": f"Customer {seq}", "money": str(100 + seq % 900)} for seq in seqs]
        with transaction.atomic():
            AudienceMember.objects.bulk_create(
                AudienceMember(audience=audience, line_number=seq, target=f"bench-{tag}-{seq}", values=value)
                for seq, value in zip(seqs, values, strict=True)
            )
            Message.objects.bulk_create(
                Message(
                    campaign=campaign,
                    seq=seq,
                    target=f"bench-{tag}-{seq}",
                    values=value,
                    msg_key=campaign.msg_key_for(seq),
                )
                for seq, value in zip(seqs, values, strict=True)
            )
    Audience.objects.filter(pk=audience.pk).update(member_count=options.targets)
    campaign = transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=user)
    return transition(campaign, CampaignStatus.APPROVED, action="campaign.approved", actor=user)


def run(options: BenchOptions) -> dict[str, Any]:
    processes = Processes()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    previous_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        with tempfile.TemporaryDirectory() as folder:
            if options.endpoint:
                endpoint, key = options.endpoint, options.access_key or BENCH_CREDENTIAL
            else:
                processes.sandbox, endpoint = start_sandbox(Path(folder), options.latency_ms)
                key = options.access_key or BENCH_CREDENTIAL
            # Before the workers start, so the loop has the machine to itself as a customer's script would.
            baseline = sdk_loop(options, endpoint, key) if options.sdk_baseline else None
            campaign = build_campaign(options, endpoint, key)
            processes.workers = start_workers(options.workers, queue)
            processes.scheduler = start_scheduler(queue, Path(folder))
            processes.watch_memory()
            finish_alongside = options.alongside(campaign) if options.alongside else None
            connection.close()
            result = _send_and_measure(campaign, options, processes, finish_alongside)
            if baseline is not None:
                result["sdk_baseline"] = baseline
                result["times_sdk"] = (
                    round(result["messages_per_s"] / baseline["messages_per_s"], 1)
                    if baseline["messages_per_s"]
                    else None
                )
            return result
    finally:
        processes.stop()
        settings.CELERY_TASK_DEFAULT_QUEUE = previous_queue


def sdk_loop(options: BenchOptions, endpoint: str, key: tuple[str, str]) -> dict[str, Any]:
    values = {"name": "Customer 1", "money": "101"}
    return sdk_baseline.run_sdk_loop(options.sdk_baseline, endpoint, key, template_name=TEMPLATE_NAME, values=values)


def _send_and_measure(
    campaign: Campaign,
    options: BenchOptions,
    processes: Processes,
    finish_alongside: Callable[[], None] | None = None,
) -> dict[str, Any]:
    cpu_before = processes.worker_cpu_seconds()
    sandbox_before = cpu_seconds(processes.sandbox.pid) if processes.sandbox else 0.0
    machine_before = machine_busy_seconds()
    load_before = os.getloadavg()
    began_at = timezone.now()
    began = time.monotonic()
    dispatch.on_approved(campaign.pk)
    first_accepted: float | None = None
    deadline = began + options.timeout
    kill_at = began + options.kill_worker_after if options.kill_worker_after is not None else None
    killed: dict[str, Any] | None = None
    deaths = WorkerDeaths(began)
    status: str = CampaignStatus.SENDING
    while time.monotonic() < deadline:
        if first_accepted is None and Attempt.objects.filter(campaign=campaign, outcome="accepted").exists():
            first_accepted = time.monotonic() - began
        if kill_at is not None and killed is None and time.monotonic() >= kill_at:
            killed = kill_worker(processes.workers[0], began)
        status = Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
        deaths.look(processes.workers)
        if status in ENDED or deaths.all_gone(processes.workers):
            break
        watching_closely = first_accepted is None or (kill_at is not None and killed is None)
        time.sleep(0.02 if watching_closely else 0.25)
    seconds = time.monotonic() - began
    load_after = os.getloadavg()
    if finish_alongside is not None:
        finish_alongside()
    worker_cpu = processes.worker_cpu_seconds() - cpu_before
    sandbox_cpu = cpu_seconds(processes.sandbox.pid) - sandbox_before if processes.sandbox else None
    machine_cpu = machine_busy_seconds() - machine_before
    counts = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("pk")).order_by())
    accepted = counts.get(MessageStatus.ACCEPTED, 0)
    last_call = Attempt.objects.filter(campaign=campaign, outcome="accepted").aggregate(last=Max("started_at"))["last"]
    result = {
        "targets": options.targets,
        "accepted": accepted,
        "rejected": counts.get(MessageStatus.REJECTED, 0),
        "unknown": counts.get(MessageStatus.UNKNOWN, 0),
        # Every row by its final state; rows never written stay "draft" (not sent yet).
        "messages_by_state": {str(state): n for state, n in sorted(counts.items())},
        "api_calls": Attempt.objects.filter(campaign=campaign).count(),
        "seconds": round(seconds, 2),
        "messages_per_s": round(accepted / seconds, 1) if seconds else 0.0,
        # After a crash the campaign ends only once the sweeper has settled the dead worker's expired lease.
        "last_accepted_call_started_s": round((last_call - began_at).total_seconds(), 2) if last_call else None,
        "peak_rss_mb": round(processes.peak_rss_mb, 1),
        "worker_cpu_s": round(worker_cpu, 2),
        "sandbox_cpu_s": round(sandbox_cpu, 2) if sandbox_cpu is not None else None,
        "machine_cpu_s": round(machine_cpu, 2),
        "machine_cpu_ms_per_message": round(machine_cpu * 1000 / accepted, 3) if accepted else None,
        "cores": os.cpu_count(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in load_after],
        "first_batch_accepted_s": round(first_accepted, 3) if first_accepted is not None else None,
        "status": status,
        "database": connection.vendor,
        "broker": settings.CELERY_BROKER_URL.split(":", 1)[0],
        "workers": options.workers,
        "window": settings.PUSHADMIN_SEND_WINDOW,
        "calls_per_step": settings.PUSHADMIN_SEND_CALLS_PER_STEP,
        "latency_ms": options.latency_ms,
        "rate_limit": options.rate,
        "sweeper": f"celery beat, every {settings.PUSHADMIN_SWEEP_SECONDS} s",
        "sweeper_ran_throughout": processes.scheduler is not None and processes.scheduler.poll() is None,
        "worker_killed": killed,
        "workers_died": list(deaths.seen.values()),
    }
    if not options.keep_rows:
        # The campaign and its audit entries stay (the trail is append-only); its bulk rows go.
        Attempt.objects.filter(campaign=campaign).delete()
        Message.objects.filter(campaign=campaign).delete()
        Batch.objects.filter(campaign=campaign).delete()
        AudienceMember.objects.filter(audience__campaigns=campaign).delete()
    return result
