"""The `/metrics` page: every process's samples added up, and the broker's queue read at scrape time."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from pushadmin.operations import (
    dead_process_gauges,
    metrics,  # noqa: F401  (sets the multiprocess folder before the collector reads it)
)
from pushadmin.operations.broker_queue import BrokerQueueCollector


def metrics_page() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    dead_process_gauges.forget()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(BrokerQueueCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
