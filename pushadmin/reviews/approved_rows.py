"""The rows a reviewer approved, kept compressed, so the next review can show which rows changed.

An approval reads every row once anyway (for the fingerprint); the same pass packs them as
zlib-compressed JSON lines in seq order. The diff then walks the packed rows and the current
rows side by side, both in seq order: constant memory, whatever the campaign's size.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pushadmin.reviews.fingerprint import message_rows

# The rows a reviewer sees side by side; the counts stay exact beyond them.
SHOWN_CHANGES = 10
_CHUNK = 1 << 16


class RowPacker:
    """Collects (seq, target, values JSON, extended params JSON) rows into one compressed blob."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(level=6)
        self._parts: list[bytes] = []

    def add(self, seq: int, target: str, values: str | None, params: str | None) -> None:
        line = json.dumps([seq, target, values, params], ensure_ascii=False, separators=(",", ":")) + "\n"
        self._parts.append(self._compressor.compress(line.encode()))

    def finish(self) -> bytes:
        self._parts.append(self._compressor.flush())
        return b"".join(self._parts)


Row = tuple[int, str, str | None, str | None]


def unpack(blob: bytes) -> Iterator[Row]:
    """The packed rows, decompressed a slice at a time."""
    decompressor = zlib.decompressobj()
    pending = b""
    for start in range(0, len(blob), _CHUNK):
        pending += decompressor.decompress(blob[start : start + _CHUNK])
        *lines, pending = pending.split(b"\n")
        for line in lines:
            seq, target, values, params = json.loads(line)
            yield seq, target, values, params
    pending += decompressor.flush()
    if pending.strip():
        seq, target, values, params = json.loads(pending)
        yield seq, target, values, params


def current_rows(campaign_id: int) -> Iterator[Row]:
    for seq, target, values, params, _msg_key in message_rows(campaign_id, stored_json=True):
        yield seq, target, values, params


@dataclass(frozen=True)
class RowChange:
    seq: int
    before_target: str
    before_values: dict[str, Any]
    after_target: str
    after_values: dict[str, Any]

    @property
    def differences(self) -> list[tuple[str, str, str]]:
        """(what, approved, now) for the target and each value that differs; '' where there was none."""
        found = []
        if self.before_target != self.after_target:
            found.append(("target", self.before_target, self.after_target))
        for name in sorted(set(self.before_values) | set(self.after_values)):
            before, after = self.before_values.get(name), self.after_values.get(name)
            if before != after:
                found.append((name, "" if before is None else str(before), "" if after is None else str(after)))
        return found or [("extended params", "as approved", "changed")]


@dataclass
class RowsDiff:
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    first_changes: list[RowChange] = field(default_factory=list)
    first_added: list[int] = field(default_factory=list)
    first_removed: list[int] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def _values(text: str | None) -> dict[str, Any]:
    decoded = json.loads(text) if text else {}
    return decoded if isinstance(decoded, dict) else {"": decoded}


def diff(before: Iterable[Row], after: Iterable[Row]) -> RowsDiff:
    """Rows added, removed and changed (target, values or extended params), matched by seq."""
    result = RowsDiff()
    old_rows, new_rows = iter(before), iter(after)
    old, new = next(old_rows, None), next(new_rows, None)
    while old is not None or new is not None:
        if new is None or (old is not None and old[0] < new[0]):
            assert old is not None
            result.removed += 1
            if len(result.first_removed) < SHOWN_CHANGES:
                result.first_removed.append(old[0])
            old = next(old_rows, None)
        elif old is None or new[0] < old[0]:
            result.added += 1
            if len(result.first_added) < SHOWN_CHANGES:
                result.first_added.append(new[0])
            new = next(new_rows, None)
        else:
            if _same(old, new):
                result.unchanged += 1
            else:
                result.changed += 1
                if len(result.first_changes) < SHOWN_CHANGES:
                    result.first_changes.append(RowChange(old[0], old[1], _values(old[2]), new[1], _values(new[2])))
            old, new = next(old_rows, None), next(new_rows, None)
    return result


def _same(old: Row, new: Row) -> bool:
    if old[1:] == new[1:]:
        return True
    # The database may hand the same JSON back with other spacing or key order.
    return old[1] == new[1] and _values(old[2]) == _values(new[2]) and _values(old[3]) == _values(new[3])
