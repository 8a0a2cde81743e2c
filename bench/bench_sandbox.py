"""Throughput of the mPaaS sandbox: signed V3 PushMultiple calls of N targets per second.

Starts its own sandbox on a free loopback port (unless ``--url`` is given) and
drives it from several client processes over keep-alive HTTP connections, each
call freshly signed (new nonce and timestamp, as the SDKs do). Every request
loop is bounded by ``--duration`` and ``--max-calls`` and only talks to loopback.

    python bench/bench_sandbox.py --processes 2 --duration 10
    python bench/bench_sandbox.py --processes 2 --duration 60 --calls-per-process 5000   # RSS at 1M messages

When it starts the sandbox itself it also reports the sandbox's own CPU time
(user + system, from /proc) per message, the figure that stays comparable when
other work shares the machine; calls/s and latency do not.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pushadmin.mpaas import signing, wire  # noqa: E402
from pushadmin.sandbox.process import start_sandbox_process  # noqa: E402

KEY_ID, SECRET = "pushadmin-demo", "pushadmin-demo-secret"


def _body(worker: int, call: int, targets: int) -> bytes:
    fields = [
        ("AppId", "ONEXBENCH"),
        ("WorkspaceId", "bench"),
        ("TaskName", "bench"),
        ("TemplateName", "demo-welcome"),
        ("DeliveryType", "3"),
        ("ExpiredSeconds", "600"),
    ]
    for i in range(1, targets + 1):
        values = json.dumps({"name": f"User {worker}-{call}-{i}", "money": str(i)}, separators=(",", ":"))
        fields += [
            (f"TargetMsg.{i}.Target", f"user-{worker}-{i}"),
            (f"TargetMsg.{i}.MsgKey", f"b{worker}-{call}-{i}"),
            (f"TargetMsg.{i}.TemplateKeyValue", values),
        ]
    return wire.encode_form(fields)


def _worker(host: str, port: int, worker: int, args: argparse.Namespace, out: mp.Queue[Any], go: Any) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    host_header = f"{host}:{port}"
    latencies: list[float] = []
    failures = 0
    # Bodies are built before the clock starts: the figure is the sandbox's,
    # not the cost of this script assembling 400 form fields in Python.
    bodies = [_body(worker, call, args.targets) for call in range(args.calls_per_process)]
    out.put("ready")
    go.wait()
    deadline = time.monotonic() + args.duration
    call = 0
    while time.monotonic() < deadline and call < len(bodies):
        body = bodies[call]
        call += 1
        headers = signing.v3_sign_headers(
            access_key_id=KEY_ID,
            secret=SECRET,
            host=host_header,
            action="PushMultiple",
            version="2020-07-10",
            body=body,
            nonce=uuid.uuid4().hex,
            timestamp=signing.format_timestamp(datetime.now(UTC)),
        )
        started = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read())
        latencies.append(time.perf_counter() - started)
        if response.status != 200 or payload.get("ResultCode") != "OK":
            failures += 1
    conn.close()
    out.put((len(latencies), failures, latencies))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running sandbox (loopback only)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per client")
    parser.add_argument("--calls-per-process", type=int, default=3000, help="upper bound per client")
    parser.add_argument("--targets", type=int, default=100)
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        process, url = start_sandbox_process()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise SystemExit("the benchmark only targets loopback addresses")
    try:
        out: mp.Queue[Any] = mp.Queue()  # "ready", then one result tuple per client
        go = mp.Event()
        workers = [mp.Process(target=_worker, args=(host, port, w, args, out, go)) for w in range(args.processes)]
        for w in workers:
            w.start()
        for _ in workers:
            out.get()  # every client has built its bodies
        cpu_before = _cpu_seconds(process.pid) if process is not None else None
        started = time.perf_counter()
        go.set()
        results = [out.get() for _ in workers]
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_seconds(process.pid) if process is not None else None
        for w in workers:
            w.join()
        calls = sum(r[0] for r in results)
        failures = sum(r[1] for r in results)
        latencies = sorted(x for r in results for x in r[2])
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", "/_sandbox/stats")
        stats = json.loads(conn.getresponse().read())
        conn.close()
        rate = calls / elapsed
        print(f"clients: {args.processes} processes, {args.targets} targets per call")
        print(f"calls: {calls} in {elapsed:.1f} s, failures: {failures}")
        print(f"PushMultiple calls/s: {rate:.0f}  (messages/s: {rate * args.targets:.0f})")
        if latencies:
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"latency ms: p50 {statistics.median(latencies) * 1000:.1f}  p99 {p99 * 1000:.1f}")
        if cpu_before is not None and cpu_after is not None and calls:
            cpu = cpu_after - cpu_before
            print(
                f"sandbox CPU: {cpu:.2f} s = {cpu / elapsed:.2f} cores, "
                f"{cpu / (calls * args.targets) * 1e6:.1f} µs per message"
            )
        print(f"sandbox stored messages: {stats['storedMessages']}")
        if process is not None:
            rss = _rss_mib(process.pid)
            if rss is not None:
                print(f"sandbox RSS: {rss:.0f} MiB")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
