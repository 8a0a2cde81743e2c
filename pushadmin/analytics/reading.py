"""Reading one task's figures from mPaaS: one QueryPushAnalysisCoreIndex in all and one per vendor channel.

Calls are paced to half the workspace's calls per second (the other half stays with sending,
which keeps its own shared pacing; the sync never takes the sender's rate-bucket lock). Any
answer that is not a readable success stops the read with :class:`ReadFailed`, in plain words;
nothing already stored is changed by a failed read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pushadmin.mpaas import analysis, errors
from pushadmin.mpaas.client import MpaasClient, TemplateCallResult
from pushadmin.mpaas.request_types import QueryPushAnalysisCoreIndexRequest, QueryPushAnalysisTaskListRequest
from pushadmin.workspaces.models import Workspace

# The channels each delivery type's targets can be on; one channel alone needs no split.
ANDROID_CHANNELS = ("HMS", "HONOR", "MIUI", "OPPO", "VIVO", "FCM", "ANDROID")
CHANNELS_BY_DELIVERY_TYPE: dict[int, tuple[str, ...]] = {
    1: ANDROID_CHANNELS,
    2: ("IOS",),
    3: (*ANDROID_CHANNELS, "IOS", "HARMONYOS"),
    7: ("HARMONYOS",),
}
# mPaaS answers this for a task id it does not (yet) know.
NO_SUCH_TASK = "3028"

T = TypeVar("T")


class ReadFailed(Exception):
    """mPaaS did not give the figures; the message says why in plain words."""


class NoSuchTask(Exception):
    """mPaaS has no task by that id (yet)."""


@dataclass(frozen=True)
class Counts:
    push_total: int = 0
    pushed: int = 0
    arrived: int = 0
    opened: int = 0
    ignored: int = 0

    @classmethod
    def of(cls, index: analysis.CoreIndex) -> Counts:
        return cls(index.push_total, index.pushed, index.arrived, index.opened, index.ignored)

    def as_dict(self) -> dict[str, int]:
        return {
            "push_total": self.push_total,
            "pushed": self.pushed,
            "arrived": self.arrived,
            "opened": self.opened,
            "ignored": self.ignored,
        }


@dataclass(frozen=True)
class RunFigures:
    """One run of one task: its figures in all and per channel."""

    task_id: str
    run_task_id: str
    run_at: datetime
    total: Counts
    channels: dict[str, Counts]


class Pacer:
    """Starts calls no closer together than 1 / rate seconds."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / max(rate, 0.1)
        self.clock = clock
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.gap


def pacer_for(workspace: Workspace) -> Pacer:
    return Pacer(max(1.0, workspace.calls_per_second / 2))


def answer_of(result: TemplateCallResult[T], *, task_id: str | None = None) -> T:
    outcome = result.outcome
    if isinstance(outcome, errors.Rejected) and task_id is not None and outcome.code == NO_SUCH_TASK:
        raise NoSuchTask(task_id)
    if not isinstance(outcome, errors.Accepted) or result.value is None:
        words = errors.in_plain_words(outcome) if not isinstance(outcome, errors.Accepted) else ""
        raise ReadFailed(words or "mPaaS's answer did not carry the figures.")
    return result.value


def day_range(run_at: datetime, now: datetime) -> tuple[int, int]:
    """Whole days (UTC+8) from the day before the run to today, at most 90: mPaaS keeps figures by day.

    A run mPaaS lists with a fire time ahead of this host's clock ends the range on its own day.
    """
    end = analysis.day_start_ms(max(now, run_at))
    start = analysis.day_start_ms(min(run_at, now) - timedelta(days=1))
    oldest = end - (analysis.MAX_RANGE_DAYS - 1) * analysis.DAY_MS
    return max(start, oldest), end


class TaskReader:
    def __init__(self, client: MpaasClient, workspace: Workspace, pacer: Pacer, now: datetime) -> None:
        self.client = client
        self.workspace = workspace
        self.pacer = pacer
        self.now = now
        self.app: dict[str, Any] = {
            "app_id": workspace.app_id,
            "workspace_id": workspace.mpaas_workspace_id,
            "tenant_id": workspace.tenant_id or None,
        }

    def loop_runs(self, task_id: str, since: datetime) -> list[tuple[str, datetime]]:
        """The sub-tasks (runs so far) of a loop task, with when each fired."""
        start = max(analysis.day_start_ms(since), day_range(since, self.now)[0])
        self.pacer.wait()
        tasks = answer_of(
            self.client.query_push_analysis_task_list(
                QueryPushAnalysisTaskListRequest(**self.app, start_time=start, task_id=task_id)
            )
        )
        runs: list[tuple[str, datetime]] = []
        for task in tasks:
            for sub in task.sub_tasks:
                fired = datetime.fromtimestamp((sub.gmt_create or 0) / 1000, self.now.tzinfo)
                runs.append((sub.task_id, fired))
        return runs

    def core_index(self, run_task_id: str, run_at: datetime, channel: str | None = None) -> Counts:
        start, end = day_range(run_at, self.now)
        request = QueryPushAnalysisCoreIndexRequest(
            **self.app, start_time=start, end_time=end, task_id=run_task_id, channel=channel
        )
        self.pacer.wait()
        return Counts.of(answer_of(self.client.query_push_analysis_core_index(request), task_id=run_task_id))

    def run(self, task_id: str, run_task_id: str, run_at: datetime, delivery_type: int) -> RunFigures:
        total = self.core_index(run_task_id, run_at)
        channels = CHANNELS_BY_DELIVERY_TYPE.get(delivery_type, CHANNELS_BY_DELIVERY_TYPE[3])
        if len(channels) == 1:
            split = {channels[0]: total}
        else:
            split = {channel: self.core_index(run_task_id, run_at, channel) for channel in channels}
        return RunFigures(task_id, run_task_id, run_at, total, {k: v for k, v in split.items() if v.push_total})
