"""In-memory state of the sandbox: accepted messages, MsgKey index, schedules, stats.

Memory is the constraint (a million stored messages must fit easily), so
messages are kept per call: a :class:`Batch` holds what the call's targets
share once, its MsgKeys as a list, and targets, titles and contents each packed
into one string with an offset array (:class:`PackedTexts`), which saves a
string object per field per message. The MsgKey index maps each key to its
batch and reuses the key objects of that list.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate, repeat
from typing import Any

AppKey = tuple[str, str]  # (AppId, WorkspaceId)


class PackedTexts:
    """A list of strings stored as one string plus the end offset of each."""

    __slots__ = ("_count", "_ends", "_text")

    def __init__(self, texts: list[str]) -> None:
        self._count = len(texts)
        first = texts[0] if texts else ""
        if texts.count(first) == self._count:
            # One shared text (a title without placeholders): no offsets needed.
            self._text, self._ends = first, None
        else:
            self._text = "".join(texts)
            self._ends = array("I", accumulate(map(len, texts)))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        ends = self._ends
        if ends is None:
            return repeat(self._text, self._count)
        text = self._text
        return (text[start:end] for start, end in zip([0, *ends], ends, strict=False))


@dataclass(slots=True)
class Batch:
    """One accepted call and the messages it stored, in target order."""

    request_id: str
    task_id: str
    app_id: str
    workspace_id: str
    template_name: str
    received_at: float  # epoch seconds
    strategy_type: int
    msg_keys: list[str]
    targets: PackedTexts
    titles: PackedTexts
    contents: PackedTexts
    # Position of the batch's first message among all stored messages.
    first: int = 0
    cancelled: bool = False
    # What the phone simulation (pushadmin.sandbox.phones) and the analysis calls need to know.
    task_name: str = ""
    delivery_type: int = 3
    strategy_content: str = ""
    # When RevokePushTask recalled the task's messages (epoch seconds), None while not recalled.
    revoked_at: float | None = None

    def __len__(self) -> int:
        return len(self.msg_keys)

    def messages(self) -> Iterator[Message]:
        return zip(self.msg_keys, self.targets, self.titles, self.contents, repeat(self), strict=False)


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
        self.clear()

    def clear(self) -> None:
        self.batches: list[Batch] = []
        self.batches_by_task: dict[str, Batch] = {}
        self.message_count = 0
        # Per app: MsgKey -> the batch that first stored it.
        self.keys: dict[AppKey, dict[str, Batch]] = {}
        self.schedules: dict[str, Schedule] = {}
        # Recalled tasks in the order they were recalled.
        self.revoked: list[Batch] = []
        self.stats = Stats()

    # ------------------------------------------------------------ messages

    def known_keys(self, app: AppKey) -> dict[str, Batch]:
        keys = self.keys.get(app)
        if keys is None:
            keys = self.keys[app] = {}
        return keys

    def add(self, batch: Batch, *, all_new: bool) -> None:
        """Store one call's accepted messages; ``all_new``: no MsgKey of it is known for its app."""
        batch.first = self.message_count
        self.batches.append(batch)
        self.batches_by_task[batch.task_id] = batch
        keys = self.known_keys((batch.app_id, batch.workspace_id))
        if all_new:
            keys.update(zip(batch.msg_keys, repeat(batch)))
        else:
            # Only the "allow" duplicate mode stores a known MsgKey again; the
            # index keeps pointing at its first batch.
            for msg_key in batch.msg_keys:
                keys.setdefault(msg_key, batch)
        self.message_count += len(batch)
        self.stats.messages_accepted += len(batch)

    def find(
        self,
        *,
        msg_key: str | None = None,
        task_id: str | None = None,
        app_id: str | None = None,
        target: str | None = None,
    ) -> Iterator[Message]:
        batches: list[Batch]
        if task_id is not None:
            found = self.batches_by_task.get(task_id)
            batches = [found] if found is not None else []
        elif msg_key is not None and not self._has_repeats():
            batches = sorted((keys[msg_key] for keys in self.keys.values() if msg_key in keys), key=_first)
        else:
            batches = self.batches
        for batch in batches:
            if app_id is not None and batch.app_id != app_id:
                continue
            rows: Iterator[Message]
            if msg_key is not None:
                if msg_key not in batch.msg_keys:
                    continue
                rows = (m for m in batch.messages() if m[0] == msg_key)
            else:
                rows = batch.messages()
            for message in rows:
                if target is not None and message[1] != target:
                    continue
                yield message

    def _has_repeats(self) -> bool:
        # Only the "allow" duplicate mode stores a MsgKey twice; then the index
        # points at the first copy only and lookups must scan.
        return self.message_count != sum(len(k) for k in self.keys.values())

    # ------------------------------------------------------------ schedules

    def pending_schedules(self, app: AppKey, now_ms: int) -> int:
        return sum(1 for s in self.schedules.values() if s.app == app and not s.executed(now_ms))


def _first(batch: Batch) -> int:
    return batch.first


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
        "receivedAt": _iso_millis(batch.received_at),
        "strategyType": batch.strategy_type,
        "cancelled": batch.cancelled,
        "revoked": batch.revoked_at is not None,
    }


def revoked_json(batch: Batch) -> dict[str, Any]:
    return {
        "taskId": batch.task_id,
        "appId": batch.app_id,
        "workspaceId": batch.workspace_id,
        "messages": len(batch),
        "msgKeys": list(batch.msg_keys),
        "sentAt": _iso_millis(batch.received_at),
        "revokedAt": _iso_millis(batch.revoked_at or 0.0),
    }


def _iso_millis(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


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
        "storedMessages": store.message_count,
        "scheduledTasks": len(store.schedules),
        "revokedTasks": len(store.revoked),
        "rememberedNonces": nonces,
    }
