"""In-memory state of the sandbox: accepted messages, MsgKey index, schedules, stats.

Memory is the constraint (a million stored messages must fit easily), so a
message is a 4-tuple of strings plus a reference to the :class:`Batch` of the
call that carried it; everything the call's targets share lives once in the
batch. The MsgKey index maps keys to positions and reuses the key objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

AppKey = tuple[str, str]  # (AppId, WorkspaceId)


@dataclass(slots=True)
class Batch:
    request_id: str
    task_id: str
    app_id: str
    workspace_id: str
    template_name: str
    received_at: str
    strategy_type: int
    cancelled: bool = False


# (msgKey, target, rendered title, rendered content, batch)
Message = tuple[str, str, str, str, Batch]


@dataclass(slots=True)
class Schedule:
    unique_id: str
    app: AppKey
    push_time_ms: int
    end_time_ms: int  # last possible fire time; equals push_time_ms for one-offs
    title: str
    content: str
    delivery_type: int
    strategy_type: int
    gmt_create_ms: int
    batch: Batch

    def executed(self, now_ms: int) -> bool:
        return self.end_time_ms <= now_ms

    def to_json(self, now_ms: int) -> dict[str, Any]:
        return {
            "UniqueId": self.unique_id,
            "ParentId": "",
            "PushTime": self.push_time_ms,
            "PushTitle": self.title,
            "PushContent": self.content,
            "Type": 2,  # 2 = multiple push in QueryPushSchedulerList's coding
            "DeliveryType": self.delivery_type,
            "StrategyType": self.strategy_type,
            "ExecutedStatus": "1" if self.executed(now_ms) else "0",
            "GmtCreate": self.gmt_create_ms,
            "CreateType": 0,
        }


@dataclass(slots=True)
class Stats:
    calls: int = 0
    accepted_calls: int = 0
    messages_accepted: int = 0
    duplicate_msg_keys: int = 0
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    calls_by_action: Counter[str] = field(default_factory=Counter)


class Store:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        # Per app: MsgKey -> position of its first accepted message.
        self.keys: dict[AppKey, dict[str, int]] = {}
        self.task_ranges: dict[str, tuple[int, int]] = {}
        self.schedules: dict[str, Schedule] = {}
        self.stats = Stats()

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    # ------------------------------------------------------------ messages

    def known_keys(self, app: AppKey) -> dict[str, int]:
        keys = self.keys.get(app)
        if keys is None:
            keys = self.keys[app] = {}
        return keys

    def add(self, batch: Batch, rows: list[tuple[str, str, str, str]]) -> None:
        """Store one call's accepted messages; rows are (msgKey, target, title, content)."""
        start = len(self.messages)
        keys = self.known_keys((batch.app_id, batch.workspace_id))
        append = self.messages.append
        for position, (msg_key, target, title, content) in enumerate(rows, start):
            append((msg_key, target, title, content, batch))
            keys.setdefault(msg_key, position)
        self.task_ranges[batch.task_id] = (start, len(self.messages))
        self.stats.messages_accepted += len(rows)

    def find(
        self,
        *,
        msg_key: str | None = None,
        task_id: str | None = None,
        app_id: str | None = None,
        target: str | None = None,
    ) -> Iterator[Message]:
        if task_id is not None:
            start, end = self.task_ranges.get(task_id, (0, 0))
            candidates: Iterator[Message] = iter(self.messages[start:end])
        elif msg_key is not None and not self._has_repeats():
            positions = [keys[msg_key] for keys in self.keys.values() if msg_key in keys]
            candidates = iter([self.messages[p] for p in sorted(positions)])
        else:
            candidates = iter(self.messages)
        for message in candidates:
            if msg_key is not None and message[0] != msg_key:
                continue
            if app_id is not None and message[4].app_id != app_id:
                continue
            if target is not None and message[1] != target:
                continue
            yield message

    def _has_repeats(self) -> bool:
        # Only the "allow" duplicate mode stores a MsgKey twice; then the index
        # points at the first copy only and lookups must scan.
        return self.stats.messages_accepted != sum(len(k) for k in self.keys.values())

    # ------------------------------------------------------------ schedules

    def pending_schedules(self, app: AppKey, now_ms: int) -> int:
        return sum(1 for s in self.schedules.values() if s.app == app and not s.executed(now_ms))


def message_json(message: Message) -> dict[str, Any]:
    msg_key, target, title, content, batch = message
    return {
        "msgKey": msg_key,
        "target": target,
        "appId": batch.app_id,
        "workspaceId": batch.workspace_id,
        "templateName": batch.template_name,
        "title": title,
        "content": content,
        "taskId": batch.task_id,
        "requestId": batch.request_id,
        "receivedAt": batch.received_at,
        "strategyType": batch.strategy_type,
        "cancelled": batch.cancelled,
    }


def stats_json(store: Store, nonces: int) -> dict[str, Any]:
    stats = store.stats
    return {
        "calls": stats.calls,
        "acceptedCalls": stats.accepted_calls,
        "messagesAccepted": stats.messages_accepted,
        "duplicateMsgKeys": stats.duplicate_msg_keys,
        "rejectedByCode": dict(stats.rejected_by_code),
        "faultsInjected": dict(stats.faults_injected),
        "callsByAction": dict(stats.calls_by_action),
        "storedMessages": len(store.messages),
        "scheduledTasks": len(store.schedules),
        "rememberedNonces": nonces,
    }
