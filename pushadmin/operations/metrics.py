"""The Prometheus metrics pushadmin keeps, shared by every web process and worker.

prometheus-client runs in multiprocess mode: each process writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (set by the settings before this module is imported) and `/metrics`
adds them up. The names below are the ones ops/grafana-dashboard.json reads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

from pushadmin.mpaas.errors import SUCCESS_RESULT_CODES

# Before prometheus-client picks its storage (at import): the settings set it; a process that
# imports this module without them (a script) would otherwise keep its samples to itself.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.PROMETHEUS_MULTIPROC_DIR))

CALL_SECONDS_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_SECONDS_BUCKETS = (0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

MPAAS_CALLS = Counter(
    "pushadmin_mpaas_calls",
    "Calls to mPaaS PushMultiple, by outcome and result-code class.",
    ["outcome", "code_class"],
)
MPAAS_CALL_SECONDS = Histogram(
    "pushadmin_mpaas_call_seconds", "How long mPaaS took to answer one call.", buckets=CALL_SECONDS_BUCKETS
)
MPAAS_CALLS_IN_FLIGHT = Gauge(
    "pushadmin_mpaas_calls_in_flight", "Calls to mPaaS waiting for their answer.", multiprocess_mode="livesum"
)
MESSAGES = Counter("pushadmin_messages", "Messages that reached a final state, by state.", ["state"])
UNKNOWN_OUTCOMES = Counter(
    "pushadmin_unknown_outcome_messages",
    "Messages whose outcome is unknown: an ambiguous answer, or a worker lost mid-call.",
    ["cause"],
)
EXPIRED_LEASES = Counter(
    "pushadmin_sweeper_expired_leases",
    "Batches the sweeper took back from a worker whose lease expired, by what it did with them.",
    ["action"],
)
AUTO_PAUSES = Counter("pushadmin_campaign_auto_pauses", "Campaigns that paused themselves, by reason.", ["reason"])
AUDIENCE_IMPORT_SECONDS = Histogram(
    "pushadmin_audience_import_seconds", "How long one audience import ran.", ["outcome"], buckets=JOB_SECONDS_BUCKETS
)
ROW_BUILD_SECONDS = Histogram(
    "pushadmin_campaign_row_build_seconds",
    "How long building one campaign's rows ran.",
    ["outcome"],
    buckets=JOB_SECONDS_BUCKETS,
)


def code_class(code: str, *, answered: bool) -> str:
    """A bounded label for a result code: the remote chooses codes, so they never become labels themselves."""
    if not answered:
        return "no_reply"
    if not code:
        return "none"
    if code in SUCCESS_RESULT_CODES:
        return "success"
    if code.lstrip("-").isdigit():
        return "signature" if code == "-1" else f"{code.lstrip('-')[0]}xxx"
    return "gateway"


def record_call(outcome: str, code: str, *, answered: bool, seconds: float) -> None:
    MPAAS_CALLS.labels(outcome, code_class(code, answered=answered)).inc()
    MPAAS_CALL_SECONDS.observe(seconds)


@contextmanager
def call_in_flight() -> Iterator[None]:
    MPAAS_CALLS_IN_FLIGHT.inc()
    try:
        yield
    finally:
        MPAAS_CALLS_IN_FLIGHT.dec()


def record_messages(state: str, count: int) -> None:
    if count:
        MESSAGES.labels(state).inc(count)


def record_unknown(cause: str, count: int) -> None:
    if count:
        UNKNOWN_OUTCOMES.labels(cause).inc(count)


def record_expired_leases(action: str, count: int) -> None:
    if count:
        EXPIRED_LEASES.labels(action).inc(count)


def record_auto_pause(reason: str) -> None:
    AUTO_PAUSES.labels(reason).inc()


@contextmanager
def timed(histogram: Histogram) -> Iterator[dict[str, str]]:
    """Observe the block's duration under the outcome it leaves in the yielded dict ("failed" if it raises)."""
    labels = {"outcome": "failed"}
    started = time.monotonic()
    try:
        yield labels
    finally:
        histogram.labels(labels["outcome"]).observe(time.monotonic() - started)
