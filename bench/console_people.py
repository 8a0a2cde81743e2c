"""People on the console during a benchmark: a real web server and signed-in HTTP clients that poll pages.

Each simulated person signs in through the login form (a real session, CSRF and all) and then
requests the pages it is given in turn, as a browser tab polling with htmx does, recording every
answer's time and any failure: a status other than 200, or a page that says the database was locked
or that something failed.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TROUBLE = re.compile(r"database is locked|OperationalError|Server Error|failed: an internal error", re.IGNORECASE)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_web(env: dict[str, str], log: Path, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn as `make run` starts it (workers, 4 threads each), on a free loopback port; waits until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "pushadmin.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(workers), "--threads", "4", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("the web server did not start within 60 s")


def start_worker(env: dict[str, str], queue: str, log: Path, concurrency: int = 2) -> subprocess.Popen[bytes]:
    """A Celery worker as `make run` starts it (prefork), on its own queue."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "pushadmin", "worker", "--pool", "prefork"),
            *("--concurrency", str(concurrency), "--queues", queue, "--hostname", f"{queue}@%h"),
            *("--loglevel", "WARNING", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def trouble_in_log(log: Path) -> list[str]:
    """Lines of a process's log that tell of a locked database, a failure or a traceback."""
    return [
        line.strip()[:200]
        for line in log.read_text(errors="replace").splitlines()
        if TROUBLE.search(line) or line.startswith("Traceback")
    ]


def peak_rss_mb(process: subprocess.Popen[bytes]) -> float:
    """The highest peak resident memory (VmHWM) among a process and its children."""
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    peak = 0.0
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


@dataclass
class Person:
    """One signed-in person polling pages; `pages()` says which to ask for now (it may change between phases)."""

    base_url: str
    username: str
    password: str
    pages: Callable[[], list[str]]
    interval: float = 1.0
    times_ms: list[float] = field(default_factory=list)
    page_times_ms: dict[str, list[float]] = field(default_factory=dict)  # by page, its ids left out
    failures: list[str] = field(default_factory=list)

    def sign_in(self, client: httpx.Client) -> None:
        page = client.get("/accounts/login/")
        token = CSRF_FIELD.search(page.text)
        assert token, "the login page has no CSRF field"
        answer = client.post(
            "/accounts/login/",
            data={"username": self.username, "password": self.password, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.base_url}/accounts/login/"},
        )
        if answer.status_code != 302:
            raise SystemExit(f"{self.username} could not sign in (HTTP {answer.status_code})")

    def run(self, stop_event: threading.Event) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30, trust_env=False) as client:
            self.sign_in(client)
            while not stop_event.is_set():
                for path in self.pages():
                    self._ask(client, path)
                stop_event.wait(self.interval)

    def _ask(self, client: httpx.Client, path: str) -> None:
        headers = {"HX-Request": "true"} if path.endswith(("/progress/", "/sending/")) else {}
        started = time.perf_counter()
        try:
            answer = client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            self.failures.append(f"{path}: {type(exc).__name__}")
            return
        took = (time.perf_counter() - started) * 1000
        self.times_ms.append(took)
        self.page_times_ms.setdefault(re.sub(r"\d+", "N", path), []).append(took)
        if answer.status_code != 200:
            self.failures.append(f"{path}: HTTP {answer.status_code}")
        elif found := TROUBLE.search(answer.text):
            self.failures.append(f"{path}: page says {found.group(0)!r}")


class Crowd:
    """People polling in threads until stopped."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=p.run, args=(self._stop,), daemon=True) for p in people]

    def __enter__(self) -> Crowd:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def summary(self) -> dict[str, Any]:
        times = sorted(t for p in self.people for t in p.times_ms)
        failures = [f for p in self.people for f in p.failures]
        if not times:
            return {"requests": 0, "failures": failures}
        by_page: dict[str, list[float]] = {}
        for person in self.people:
            for page, page_times in person.page_times_ms.items():
                by_page.setdefault(page, []).extend(page_times)
        return {
            "requests": len(times),
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95_of(times), 1),
            "max_ms": round(times[-1], 1),
            "by_page": {
                page: {"requests": len(t), "p95_ms": round(p95_of(sorted(t)), 1), "max_ms": round(max(t), 1)}
                for page, t in sorted(by_page.items())
            },
            "failures": failures[:10],
            "failure_count": len(failures),
        }


def p95_of(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
