"""RevokePushTask over the sandbox's stored tasks, with mPaaS's rules (wire reference §4).

A PushMultiple call's task (its ``PushResult.Data``) can be recalled once, by the app that
sent it, within 7 days of the call. A refusal names which rule the task broke, so the
console can tell "too old" from "never ours" from "already recalled".
"""

from __future__ import annotations

from collections.abc import Mapping

from pushadmin.mpaas.validation import REVOKE_WINDOW_DAYS
from pushadmin.sandbox import codes
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions
from pushadmin.sandbox.schedules import app_key
from pushadmin.sandbox.store import Store

WINDOW_SECONDS = REVOKE_WINDOW_DAYS * 24 * 3600
UNKNOWN_TASK = "no task"
TOO_OLD = "older than 7 days"
ALREADY_REVOKED = "already revoked"


def revoke(store: Store, options: SandboxOptions, params: Mapping[str, str], now: float) -> str:
    """Mark the task's messages recalled; returns its id. Refuses, changing nothing, by the rules above."""
    app = app_key(params, options)
    task_id = (params.get("TaskId") or "").strip()
    if not task_id:
        raise BusinessError(codes.INVALID_PARAM, "TaskId is required")
    batch = store.batches_by_task.get(task_id)
    if batch is None or (batch.app_id, batch.workspace_id) != app:
        raise BusinessError(codes.INVALID_PARAM, f"{UNKNOWN_TASK} {task_id} in this app")
    if batch.revoked_at is not None:
        raise BusinessError(codes.INVALID_PARAM, f"task {task_id} {ALREADY_REVOKED}")
    if now - batch.received_at > WINDOW_SECONDS:
        raise BusinessError(codes.INVALID_PARAM, f"task {task_id} is {TOO_OLD} and can no longer be revoked")
    batch.revoked_at = now
    store.revoked.append(batch)
    return task_id
