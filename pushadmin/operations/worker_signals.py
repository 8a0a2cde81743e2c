"""Celery worker processes: each task's log lines carry its id, and a process that ends takes its
in-flight gauge samples with it (prometheus-client's multiprocess bookkeeping)."""

from __future__ import annotations

import os
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_ready

from pushadmin.operations import dead_process_gauges, log_context

_tokens: dict[str, list[Any]] = {}


@task_prerun.connect
def bind_task_id(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _tokens[task_id] = log_context.set_ids(request_id=task_id, workspace_id=None, campaign_id=None, batch_id=None)


@task_postrun.connect
def unbind_task_id(task_id: str | None = None, **_: Any) -> None:
    tokens = _tokens.pop(task_id or "", None)
    if tokens:
        log_context.reset(tokens)


@worker_process_shutdown.connect
def forget_live_gauges(pid: int | None = None, **_: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


@worker_ready.connect
def forget_gauges_on_start(**_: Any) -> None:
    dead_process_gauges.forget()
