"""`bench_send`: send a throwaway campaign end to end through real worker processes and time it.

What is timed is what a marketer waits for: from the approval hook (`dispatch.on_approved`,
which cuts the batches and enqueues them) until the campaign has ended, with W real Celery
worker processes on the configured database and broker, each claiming, signing, sending
and recording batches. Building the test data beforehand is not timed.
"""

from __future__ import annotations

import json
import os
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
from django.db.models import Count

from pushadmin.audiences.models import Audience, AudienceMember
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from pushadmin.delivery import dispatch
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
    # Called with the approved campaign just before sending starts; what it returns is called once
    # the campaign has ended (e.g. people browsing the console meanwhile, see bench/bench_console_load.py).
    alongside: Callable[[Campaign], Callable[[], None]] | None = None


@dataclass
class Processes:
    sandbox: subprocess.Popen[str] | None = None
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch_memory(self) -> None:
        def sample() -> None:
            while not self._stop.is_set():
                for worker in self.workers:
                    self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(worker.pid))
                time.sleep(0.25)

        threading.Thread(target=sample, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        for process in [*self.workers, *([self.sandbox] if self.sandbox else [])]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, *([self.sandbox] if self.sandbox else [])]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


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


def start_workers(count: int, queue: str) -> list[subprocess.Popen[str]]:
    """W worker processes, one task at a time each (solo pool): one process per core."""
    env = {**os.environ, "PUSHADMIN_CELERY_QUEUE": queue, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
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
            campaign = build_campaign(options, endpoint, key)
            processes.workers = start_workers(options.workers, queue)
            processes.watch_memory()
            finish_alongside = options.alongside(campaign) if options.alongside else None
            connection.close()
            return _send_and_measure(campaign, options, processes, finish_alongside)
    finally:
        processes.stop()
        settings.CELERY_TASK_DEFAULT_QUEUE = previous_queue


def _send_and_measure(
    campaign: Campaign,
    options: BenchOptions,
    processes: Processes,
    finish_alongside: Callable[[], None] | None = None,
) -> dict[str, Any]:
    cpu_before = [cpu_seconds(worker.pid) for worker in processes.workers]
    sandbox_before = cpu_seconds(processes.sandbox.pid) if processes.sandbox else 0.0
    machine_before = machine_busy_seconds()
    began = time.monotonic()
    dispatch.on_approved(campaign.pk)
    first_accepted: float | None = None
    deadline = began + options.timeout
    status: str = CampaignStatus.SENDING
    while time.monotonic() < deadline:
        if first_accepted is None and Attempt.objects.filter(campaign=campaign, outcome="accepted").exists():
            first_accepted = time.monotonic() - began
        status = Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
        if status in ENDED or any(worker.poll() is not None for worker in processes.workers):
            break
        time.sleep(0.02 if first_accepted is None else 0.25)
    seconds = time.monotonic() - began
    if finish_alongside is not None:
        finish_alongside()
    worker_cpu = sum(cpu_seconds(w.pid) for w in processes.workers) - sum(cpu_before)
    sandbox_cpu = cpu_seconds(processes.sandbox.pid) - sandbox_before if processes.sandbox else None
    machine_cpu = machine_busy_seconds() - machine_before
    counts = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("pk")).order_by())
    accepted = counts.get(MessageStatus.ACCEPTED, 0)
    result = {
        "targets": options.targets,
        "accepted": accepted,
        "rejected": counts.get(MessageStatus.REJECTED, 0),
        "unknown": counts.get(MessageStatus.UNKNOWN, 0),
        "api_calls": Attempt.objects.filter(campaign=campaign).count(),
        "seconds": round(seconds, 2),
        "messages_per_s": round(accepted / seconds, 1) if seconds else 0.0,
        "peak_rss_mb": round(processes.peak_rss_mb, 1),
        "worker_cpu_s": round(worker_cpu, 2),
        "sandbox_cpu_s": round(sandbox_cpu, 2) if sandbox_cpu is not None else None,
        "machine_cpu_s": round(machine_cpu, 2),
        "cores": os.cpu_count(),
        "first_batch_accepted_s": round(first_accepted, 3) if first_accepted is not None else None,
        "status": status,
        "database": connection.vendor,
        "broker": settings.CELERY_BROKER_URL.split(":", 1)[0],
        "workers": options.workers,
        "window": settings.PUSHADMIN_SEND_WINDOW,
        "latency_ms": options.latency_ms,
        "rate_limit": options.rate,
    }
    if not options.keep_rows:
        # The campaign and its audit entries stay (the trail is append-only); its bulk rows go.
        Attempt.objects.filter(campaign=campaign).delete()
        Message.objects.filter(campaign=campaign).delete()
        Batch.objects.filter(campaign=campaign).delete()
        AudienceMember.objects.filter(audience__campaigns=campaign).delete()
    return result
