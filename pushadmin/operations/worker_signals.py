"""Celery worker processes: a process that ends takes its in-flight gauge samples with it
(prometheus-client's multiprocess bookkeeping)."""

from __future__ import annotations

import os
from typing import Any

from celery.signals import worker_process_shutdown


@worker_process_shutdown.connect
def forget_live_gauges(pid: int | None = None, **_: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]
