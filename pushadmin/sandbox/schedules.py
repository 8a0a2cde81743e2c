"""CancelPushScheduler and QueryPushSchedulerList over the sandbox's scheduled tasks.

A scheduled (StrategyType 1) or loop (2) PushMultiple becomes one task whose
UniqueId is the ``PushResult.Data`` of the call. A task counts as executed once
its last fire time has passed (loops: 24:00 of the end day); the sandbox never
actually fans a loop out into child tasks, so ``ParentId`` is always empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pushadmin.sandbox import codes
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions
from pushadmin.sandbox.push import parse_int
from pushadmin.sandbox.store import AppKey, Store

DEFAULT_PAGE_SIZE = 500


def app_key(params: Mapping[str, str], options: SandboxOptions) -> AppKey:
    app_id, workspace_id = params.get("AppId"), params.get("WorkspaceId")
    if not app_id or not workspace_id:
        raise BusinessError(codes.APPID_WORKSPACEID_MISSING, "AppId and WorkspaceId")
    if options.apps and (app_id, workspace_id) not in options.apps:
        raise BusinessError(codes.INVALID_INSTANCE_ID, "check AppId and WorkspaceId")
    return app_id, workspace_id


def cancel(store: Store, options: SandboxOptions, params: Mapping[str, str], now_ms: int) -> str:
    """Cancel every listed task or none; returns the ResultContent text."""
    app = app_key(params, options)
    ids = [i.strip() for i in (params.get("UniqueIds") or "").split(",")]
    if not any(ids) or not all(ids):
        raise BusinessError(codes.INVALID_PARAM, "UniqueIds must list scheduled task ids")
    for unique_id in ids:
        schedule = store.schedules.get(unique_id)
        if schedule is None or schedule.app != app:
            raise BusinessError(codes.INVALID_PARAM, f"no scheduled task {unique_id}")
        if schedule.executed(now_ms):
            raise BusinessError(codes.INVALID_PARAM, f"task {unique_id} already executed")
    for unique_id in ids:
        store.schedules.pop(unique_id).batch.cancelled = True
    return ",".join(ids)


def query(store: Store, options: SandboxOptions, params: Mapping[str, str], now_ms: int) -> dict[str, Any]:
    app = app_key(params, options)
    start, end = parse_int(params.get("StartTime")), parse_int(params.get("EndTime"))
    if start is None or end is None or end < start:
        raise BusinessError(codes.INVALID_PARAM, "StartTime and EndTime must be epoch ms, start <= end")
    page_number = parse_int(params.get("PageNumber") or "1")
    page_size = parse_int(params.get("PageSize") or str(DEFAULT_PAGE_SIZE))
    if page_number is None or page_number < 1 or page_size is None or page_size < 1:
        raise BusinessError(codes.INVALID_PARAM, "PageNumber and PageSize must be >= 1")
    kind = params.get("Type")
    unique_id = params.get("UniqueId")
    matches = [
        s
        for s in store.schedules.values()
        if s.app == app
        and start <= s.push_time_ms <= end
        and (not kind or kind == "2")
        and (not unique_id or s.unique_id == unique_id)
    ]
    matches.sort(key=lambda s: (s.push_time_ms, s.unique_id))
    first = (page_number - 1) * page_size
    return {
        "TotalCount": len(matches),
        "List": [s.to_json(now_ms) for s in matches[first : first + page_size]],
    }
