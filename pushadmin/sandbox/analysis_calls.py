"""The analysis calls and PushQueryDeviceState, answered from the phone simulation.

Shapes are the SDK models' (2020-07-10): ``{RequestId, ResultCode, ResultMessage,
ResultContent: {Data}}`` for the three ``QueryPushAnalysis*`` calls, ``{RequestId, Success, Code,
Message, Data}`` for PushQueryDeviceState. The rules are the client's own
(:mod:`pushadmin.mpaas.analysis`), so what pushadmin refuses before sending the sandbox refuses
too, with 3028 INVALID_PARAM naming the field.

Where mPaaS documents nothing (tests rely on these):

* A task is one accepted PushMultiple call, its id the call's ``PushResult.Data``. Calls whose
  answer was dropped (``dropAfterAccept``) are tasks like any other: mPaaS has them.
* A loop task has one sub-task per fire time so far, id ``<task id><run as 3 digits>``; its own
  figures are the sum of its runs. A one-off push has figures once its fixedTime has passed.
  "So far" is on the simulation's clock: ``advanceHours`` moves it ahead (see phones.Simulation).
* CoreIndex's StartTime/EndTime pick runs by the day (UTC+8) they fired; TaskList's StartTime
  picks tasks created since then, newest first.
* ``/_sandbox/phones`` (GET, POST) reads and sets the simulation's knobs; ``POST
  /_sandbox/analytics/truth`` with ``{"taskIds": [...]}`` answers the figures of those tasks now,
  in all, per channel, per platform and per run, for tests to compare with what pushadmin shows.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pushadmin.mpaas import analysis
from pushadmin.mpaas.request_types import (
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
)
from pushadmin.mpaas.validation import Problem
from pushadmin.mpaas.wire import WireFormatError, parse_request
from pushadmin.sandbox import codes, phones
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions
from pushadmin.sandbox.schedules import app_key
from pushadmin.sandbox.store import Batch, Store

ACTIONS = (
    "QueryPushAnalysisTaskList",
    "QueryPushAnalysisTaskDetail",
    "QueryPushAnalysisCoreIndex",
    "PushQueryDeviceState",
)
DEFAULT_TASK_PAGE = 20
# "2" is a PushMultiple task in the scheduler list's coding; the analysis list uses the same.
MULTIPLE_TYPE = 2
Answer = tuple[int, dict[str, Any]]


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise BusinessError(codes.INVALID_PARAM, "; ".join(f"{p.field} {p.message}" for p in problems))


class AnalysisCalls:
    def __init__(self, store: Store, options: SandboxOptions, now: Callable[[], float]) -> None:
        self.store = store
        self.options = options
        self.now = now
        self.simulation = phones.Simulation()
        self.dice = random.Random(0)

    def reset(self) -> None:
        self.simulation.reset()
        self.dice = random.Random(0)

    # ------------------------------------------------------------------ the calls

    def answer(self, action: str, params: Mapping[str, str], request_id: str) -> Answer:
        knobs = self.simulation.knobs
        if knobs.analysisFailure and self.dice.random() < knobs.analysisFailure:
            code = knobs.analysisFailureCode
            self.store.stats.faults_injected[f"analysis:{code}"] += 1
            status, message = codes.GATEWAY_ERRORS[code]
            return status, {"RequestId": request_id, "HostId": "", "Code": code, "Message": message}
        app = app_key(params, self.options)
        try:
            request = parse_request(action, params)
        except WireFormatError as error:
            _refuse(error.problems)
            raise
        now_ms = int(self.now() * 1000)
        self.store.stats.accepted_calls += 1
        if isinstance(request, PushQueryDeviceStateRequest):
            _refuse(analysis.validate_device_state(request))
            return 200, {
                "RequestId": request_id,
                "Success": True,
                "Code": codes.SUCCESS,
                "Message": "SUCCESS",
                "Data": _device(request.target, request.target_type),
            }
        if isinstance(request, QueryPushAnalysisTaskListRequest):
            data: Any = self._task_list(app, request, now_ms)
        elif isinstance(request, QueryPushAnalysisTaskDetailRequest):
            _refuse(analysis.validate_task_detail(request))
            data = self._task_detail(app, request.task_id, now_ms)
        elif isinstance(request, QueryPushAnalysisCoreIndexRequest):
            _refuse(analysis.validate_core_index(request))
            data = self._core_index(app, request, now_ms)
        else:  # pragma: no cover - ACTIONS lists only these
            raise BusinessError(codes.INVALID_PARAM, action)
        return 200, {
            "RequestId": request_id,
            "ResultCode": "OK",
            "ResultMessage": "",
            "ResultContent": {"Data": data},
        }

    def _tasks(self, app: tuple[str, str]) -> list[Batch]:
        return [b for b in self.store.batches if (b.app_id, b.workspace_id) == app]

    def _find(self, app: tuple[str, str], task_id: str, now_ms: int) -> tuple[Batch, list[phones.Run]]:
        """A task or one loop sub-task by its id, with the runs it stands for."""
        batch = self.store.batches_by_task.get(task_id[:32])
        if batch is not None and (batch.app_id, batch.workspace_id) == app:
            runs = self.simulation.runs(batch, now_ms)
            if task_id == batch.task_id:
                return batch, runs
            chosen = [run for run in runs if run.task_id == task_id]
            if chosen:
                return batch, chosen
        raise BusinessError(codes.INVALID_PARAM, f"no task {task_id}")

    def _task_list(self, app: tuple[str, str], request: QueryPushAnalysisTaskListRequest, now_ms: int) -> list[Any]:
        now = datetime.fromtimestamp(now_ms / 1000, UTC)
        _refuse(analysis.validate_task_list(request, now=now))
        found = [
            b
            for b in self._tasks(app)
            if b.received_at * 1000 >= request.start_time
            and (request.task_id is None or b.task_id == request.task_id)
            and (request.task_name is None or b.task_name == request.task_name)
        ]
        found.sort(key=lambda b: (-b.received_at, b.task_id))
        size = request.page_size or DEFAULT_TASK_PAGE
        first = ((request.page_number or 1) - 1) * size
        return [self._task_entry(b, now_ms) for b in found[first : first + size]]

    def _task_entry(self, batch: Batch, now_ms: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "TaskId": batch.task_id,
            "TaskName": batch.task_name,
            "TemplateId": "",
            "TemplateName": batch.template_name,
            "Type": MULTIPLE_TYPE,
            "GmtCreate": int(batch.received_at * 1000),
        }
        if batch.strategy_type == 2:
            entry["List"] = [
                {**entry, "TaskId": run.task_id, "GmtCreate": run.fire_ms}
                for run in self.simulation.runs(batch, now_ms)
            ]
        return entry

    def _task_detail(self, app: tuple[str, str], task_id: str, now_ms: int) -> dict[str, Any]:
        batch, runs = self._find(app, task_id, now_ms)
        figures = phones.Figures()
        for run in runs:
            figures.add(self.simulation.figures(batch, run, now_ms))
        start = min((run.fire_ms for run in runs), default=None)
        # Handing a call's targets to the channels takes mPaaS about a second per hundred.
        duration_ms = 1000 * max(1, len(batch) // 100)
        return {
            "TaskId": task_id,
            "StartTime": start,
            "EndTime": None if start is None else max(run.fire_ms for run in runs) + duration_ms,
            "Duration": f"{duration_ms // 1000}s",
            "PushNum": float(figures.push_total),
            "PushSuccessNum": float(figures.pushed),
            "PushArrivalNum": float(figures.arrived),
        }

    def _core_index(self, app: tuple[str, str], request: QueryPushAnalysisCoreIndexRequest, now_ms: int) -> Any:
        if request.type not in (None, "MULTIPLE"):
            return phones.Figures().to_wire()  # the sandbox only takes PushMultiple tasks
        if request.task_id is not None:
            batch, runs = self._find(app, request.task_id, now_ms)
            chosen = [(batch, runs)]
        else:
            chosen = [(b, self.simulation.runs(b, now_ms)) for b in self._tasks(app)]
        last = request.end_time + analysis.DAY_MS
        figures = phones.Figures()
        for batch, runs in chosen:
            for run in runs:
                if request.start_time <= run.fire_ms < last:
                    figures.add(
                        self.simulation.figures(batch, run, now_ms, channel=request.channel, platform=request.platform)
                    )
        return figures.to_wire()

    # ------------------------------------------------------------------ /_sandbox

    def admin(self, method: str, path: str, body: bytes) -> Answer | None:
        """The sandbox routes of this module, or None for a path that is not one of them."""
        if (method, path) == ("GET", "/_sandbox/phones"):
            return 200, self.simulation.knobs.to_json()
        if (method, path) == ("POST", "/_sandbox/phones"):
            try:
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                self.simulation.knobs.update(changes)
            except ValueError as exc:
                return 400, {"error": str(exc)}
            return 200, self.simulation.knobs.to_json()
        if (method, path) == ("POST", "/_sandbox/analytics/truth"):
            try:
                wanted = json.loads(body or b"{}").get("taskIds")
                if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
                    raise ValueError("taskIds must be a list of task ids")
            except (ValueError, AttributeError) as exc:
                return 400, {"error": str(exc)}
            batches = [b for i in wanted if (b := self.store.batches_by_task.get(i)) is not None]
            return 200, {
                "tasks": len(batches),
                **self.simulation.truth(batches, int(self.now() * 1000)),
            }
        return None


def _device(target: str, target_type: int) -> dict[str, Any]:
    channel = phones.channel_of(target, target_type)
    # Made-up tokens with the right look: sandbox targets have no real phone.
    token = hashlib.blake2b(target.encode(), digest_size=16).hexdigest()
    return {
        "DeliveryToken": token,
        "DeviceId": token[:16] if target_type != 3 else f"dev-{token[:12]}",
        "Manufacturer": channel.manufacturer,
        "Platform": channel.platform.lower(),
        "Statue": "1",
        "ThirdToken": f"{channel.code.lower()}-{token[16:]}",
        "UserId": target if target_type == 3 else "",
    }
