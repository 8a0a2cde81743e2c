"""The broker's queue, read when Prometheus scrapes: how many tasks wait, and for how long.

Depth comes from the broker itself (a passive queue declare: Redis counts its list, RabbitMQ
its queue). The age of the oldest waiting task is known only for the filesystem broker, whose
messages are files; Redis and RabbitMQ keep no enqueue time a reader can see without taking
the message, so that gauge is left out for them rather than guessed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from kombu.exceptions import ChannelError
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

TIMEOUT_SECONDS = 2


def filesystem_queue(folder: Path, queue: str) -> tuple[int, float | None]:
    """Waiting messages of `queue` in the filesystem broker's folder, and the oldest one's age in seconds."""
    suffix = f".{queue}.msg"
    oldest: float | None = None
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.endswith(suffix) or entry.name.partition(".")[2] != suffix[1:]:
                continue
            try:
                written = entry.stat().st_mtime
            except FileNotFoundError:  # taken by a worker meanwhile
                continue
            count += 1
            oldest = written if oldest is None else min(oldest, written)
    return count, None if oldest is None else max(time.time() - oldest, 0.0)


def broker_queue(queue: str) -> tuple[int, float | None]:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return filesystem_queue(Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])), queue)
    from pushadmin.celery import app

    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
        try:
            channel: Any = connection.default_channel  # kombu's stubs know only the abstract channel
            declared = channel.queue_declare(queue=queue, passive=True)
        except ChannelError:  # Redis drops an empty queue's key: nothing waits
            return 0, None
        return int(declared.message_count), None


class BrokerQueueCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        reachable = GaugeMetricFamily("pushadmin_broker_reachable", "1 when the broker answered this scrape.")
        try:
            depth, oldest = broker_queue(queue)
        except Exception:
            reachable.add_metric([], 0)
            yield reachable
            return
        reachable.add_metric([], 1)
        yield reachable
        waiting = GaugeMetricFamily("pushadmin_broker_queue_messages", "Tasks waiting in the queue.", labels=["queue"])
        waiting.add_metric([queue], depth)
        yield waiting
        if oldest is not None:
            age = GaugeMetricFamily(
                "pushadmin_broker_oldest_message_age_seconds",
                "How long the oldest waiting task has waited (filesystem broker only).",
                labels=["queue"],
            )
            age.add_metric([queue], oldest)
            yield age
