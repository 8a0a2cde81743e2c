"""Writing and verifying the audit trail.

Each entry stores the hash of its predecessor and a hash over its own canonical JSON, so
editing, deleting or reordering a row breaks the chain at that row. Writers serialise on a
lock (an advisory lock on PostgreSQL; SQLite's single writer does it there) so the chain
never forks, and they write inside the caller's transaction: the entry lands with the
change it describes or not at all.

An entry also gets its number within its workspace (`workspace_seq`). It is left out of the
hash so the entries written before it existed still verify; `verify_workspace` checks the
numbers run 1, 2, 3… without a gap, and the whole chain's check covers what they derive from.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from pushadmin.workspaces.models import Workspace

GENESIS_HASH = "0" * 64
SECRET_MARK = "[secret]"
SECRET_KEY_PATTERN = re.compile(r"secret|password|token|encrypted", re.IGNORECASE)
CHAIN_LOCK_ID = 7_351_001


def redact(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Replace every secret-looking value with a mark that only says it was there."""
    if values is None:
        return None
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if SECRET_KEY_PATTERN.search(key):
            clean[key] = SECRET_MARK if value else ""
        elif isinstance(value, Mapping):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "workspace_id": entry.workspace_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "ip": entry.ip,
        "before": entry.before,
        "after": entry.after,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def lock_chain() -> None:
    """Take the chain's lock for this transaction (re-entrant).

    Code that locks rows and then writes an entry must call this before its first row lock:
    every writer then takes the two in the same order and none can deadlock another.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


def record(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
    workspace: Workspace | None = None,
    obj: Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (dotted action code such as `campaign.approved`)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    label = actor_label or (str(actor.get_username()) if actor is not None else "system")
    # No savepoint of its own: an entry that cannot be written fails the caller's change with it.
    with transaction.atomic(savepoint=False):
        lock_chain()
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        entry = AuditEntry(
            seq=(last["seq"] + 1) if last else 1,
            workspace_seq=_next_number_in(workspace),
            created_at=timezone.now(),
            actor=actor,
            actor_label=label[:150],
            workspace=workspace,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            ip=client_ip(request),
            before=redact(before),
            after=redact(after),
            detail=redact(detail) or {},
            prev_hash=last["hash"] if last else GENESIS_HASH,
        )
        # Round-trip through JSON so the stored JSON hashes the same when read back.
        entry.before = json.loads(json.dumps(entry.before, default=str))
        entry.after = json.loads(json.dumps(entry.after, default=str))
        entry.detail = json.loads(json.dumps(entry.detail, default=str))
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
    return entry


def _next_number_in(workspace: Workspace | None) -> int | None:
    if workspace is None:
        return None
    entries = AuditEntry.objects.filter(workspace=workspace).order_by("-seq")
    return (entries.values_list("workspace_seq", flat=True).first() or 0) + 1


@dataclass(frozen=True)
class ChainBreak:
    seq: int  # the entry's number in what was checked: the installation's chain, or its workspace
    entry_id: int | None
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many entries were checked and the first break."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in _entries_in_order(batch_size):
        if entry.seq != expected_seq:
            return checked, ChainBreak(entry.seq, entry.pk, f"expected entry #{expected_seq} next, found #{entry.seq}")
        if entry.prev_hash != expected_prev:
            return checked, ChainBreak(entry.seq, entry.pk, "its predecessor hash does not match the previous entry")
        if compute_hash(entry) != entry.hash:
            return checked, ChainBreak(entry.seq, entry.pk, "its content does not match its hash (edited)")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    return checked, None


def verify_workspace(workspace_id: int, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk one workspace's entries in order; return how many were checked and the first break.

    Each must carry the next number of the workspace, match its hash and link to the entry
    before it in the chain. Only the workspace's own numbers are named, never the installation's.
    """
    expected_number = 1
    checked = 0
    for page in _pages(AuditEntry.objects.filter(workspace_id=workspace_id), batch_size):
        previous = dict(AuditEntry.objects.filter(seq__in=[e.seq - 1 for e in page]).values_list("seq", "hash"))
        for entry in page:
            number = entry.workspace_seq or 0
            if number != expected_number:
                reason = f"entry No. {expected_number} is missing (the next one is No. {number})"
                return checked, ChainBreak(expected_number, entry.pk, reason)
            if entry.prev_hash != previous.get(entry.seq - 1, GENESIS_HASH if entry.seq == 1 else None):
                return checked, ChainBreak(number, entry.pk, "it does not link to the entry written before it")
            if compute_hash(entry) != entry.hash:
                return checked, ChainBreak(number, entry.pk, "its content does not match its hash (edited)")
            expected_number += 1
            checked += 1
    return checked, None


def _entries_in_order(batch_size: int) -> Iterator[AuditEntry]:
    for page in _pages(AuditEntry.objects.all(), batch_size):
        yield from page


def _pages(entries: QuerySet[AuditEntry], batch_size: int) -> Iterator[list[AuditEntry]]:
    last_seq = 0
    while True:
        page = list(entries.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not page:
            return
        yield page
        last_seq = page[-1].seq
