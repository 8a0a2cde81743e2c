"""Writing and verifying the audit trail.

Each entry stores the hash of its predecessor and a hash over its own canonical JSON, so
editing, deleting or reordering a row breaks the chain at that row. Each workspace has a
chain of its own: an entry links to the entry written before it in its workspace, and the
entries without a workspace (logins, installation settings) form the installation's chain.
Writers of one chain serialise on its lock (an advisory lock keyed by the workspace on
PostgreSQL; SQLite's single writer does it there), so no chain forks while the workers of
different workspaces record at once; and they write inside the caller's transaction: the
entry lands with the change it describes or not at all.

Entries written before the chains per workspace (`Chain.SINGLE`, as the migration marked
them) form one chain across the installation and verify as they were written: each links to
the entry numbered one below it (`seq`). A workspace's first entry of its own chain links to
its last entry of the single one, so the workspace's trail reads as one unbroken chain.
`seq` orders every entry of the installation; on PostgreSQL it now comes from a sequence, so
it may skip a number where a transaction rolled back. `workspace_seq` numbers a workspace's
entries 1, 2, 3…; it is left out of the hash so the entries written before it existed still
verify, and the checks require it to run without a gap.
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
from django.db.models import Max, Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.audit.models import AuditEntry, Chain
from pushadmin.workspaces.models import Workspace

GENESIS_HASH = "0" * 64
SECRET_MARK = "[secret]"
SECRET_KEY_PATTERN = re.compile(r"secret|password|token|encrypted", re.IGNORECASE)
CHAIN_LOCK_ID = 7_351_001
SEQUENCE = "audit_entry_seq"  # created by migration 0004 on PostgreSQL
INT4_KEYS = 2**31  # the two-key advisory lock takes 32-bit keys; two workspaces sharing one only wait


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
    if entry.chain != Chain.SINGLE:
        # In the hash, so an entry cannot be made to verify by the other chain's rule; the
        # entries written before the field existed hash as they always did.
        body["chain"] = entry.chain
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def lock_chain(workspace: Workspace | int | None) -> None:
    """Take the lock of `workspace`'s chain (None: the installation's) for this transaction (re-entrant).

    Code that locks rows and then writes an entry must call this, with the workspace the entry
    will name, before its first row lock: every writer then takes the two in the same order and
    none can deadlock another. A transaction that writes entries of a workspace and of the
    installation (an invitee's account and their joining) takes the workspace's lock first.
    """
    if connection.vendor != "postgresql":
        return
    workspace_id = workspace.pk if isinstance(workspace, Workspace) else workspace
    with connection.cursor() as cursor:
        if workspace_id is None:
            # The one-key form: its keys never meet the two-key form's (PostgreSQL keeps them apart).
            cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [CHAIN_LOCK_ID])
        else:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [CHAIN_LOCK_ID, workspace_id % INT4_KEYS]
            )


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
        lock_chain(workspace)
        last = _chain_of(workspace).order_by("-seq").values("hash", "workspace_seq").first()
        last_number = (last["workspace_seq"] or 0) if last else 0
        entry = AuditEntry(
            seq=_next_seq(),
            workspace_seq=None if workspace is None else last_number + 1,
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
            chain=Chain.WORKSPACE,
        )
        # Round-trip through JSON so the stored JSON hashes the same when read back.
        entry.before = json.loads(json.dumps(entry.before, default=str))
        entry.after = json.loads(json.dumps(entry.after, default=str))
        entry.detail = json.loads(json.dumps(entry.detail, default=str))
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
    return entry


def _chain_of(workspace: Workspace | None) -> QuerySet[AuditEntry]:
    if workspace is None:
        return AuditEntry.objects.filter(workspace__isnull=True)
    return AuditEntry.objects.filter(workspace=workspace)


def _next_seq() -> int:
    """The entry's place in the whole installation's order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
            return int(cursor.fetchone()[0])
    # SQLite writes one transaction at a time, so the highest number read is still the highest.
    return (AuditEntry.objects.aggregate(top=Max("seq"))["top"] or 0) + 1


@dataclass(frozen=True)
class ChainBreak:
    seq: int  # the entry's number in what was checked: the installation's chain, or its workspace
    entry_id: int | None
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk every entry in order, checking every workspace's chain and the installation's own at once;
    return how many entries were checked and the first break, named by its installation number (`seq`)."""
    single = _SingleChain()
    latest: dict[int | None, tuple[str, int]] = {}  # per workspace (None: none): last hash and number
    checked = 0
    for entry in _entries_in_order(batch_size):
        last_hash, last_number = latest.get(entry.workspace_id, (GENESIS_HASH, 0))
        if entry.chain == Chain.SINGLE:
            reason = single.refusal(entry)
        elif entry.prev_hash != last_hash:
            single.closed = True
            reason = f"its predecessor hash does not match the previous entry of {_chain_name(entry)}"
        else:
            single.closed = True
            reason = None
        if reason is None and entry.workspace_id is not None and entry.workspace_seq != last_number + 1:
            reason = f"entry No. {last_number + 1} of workspace {entry.workspace_id} is missing"
        if reason is None and compute_hash(entry) != entry.hash:
            reason = "its content does not match its hash (edited)"
        if reason is not None:
            return checked, ChainBreak(entry.seq, entry.pk, reason)
        latest[entry.workspace_id] = (entry.hash, last_number + 1)
        checked += 1
    return checked, None


class _SingleChain:
    """The entries written before chains per workspace: numbered 1, 2, 3… and each linked to the one before."""

    def __init__(self) -> None:
        self.last_hash = GENESIS_HASH
        self.next_seq = 1
        self.closed = False  # an entry of a chain per workspace was seen; none of the single chain may follow

    def refusal(self, entry: AuditEntry) -> str | None:
        if self.closed:
            return "it is marked as written before chains per workspace, after entries written since"
        if entry.seq != self.next_seq:
            return f"expected entry #{self.next_seq} next, found #{entry.seq}"
        if entry.prev_hash != self.last_hash:
            return "its predecessor hash does not match the previous entry"
        self.last_hash, self.next_seq = entry.hash, self.next_seq + 1
        return None


def _chain_name(entry: AuditEntry) -> str:
    if entry.workspace_id is None:
        return "the installation's entries without a workspace"
    return f"workspace {entry.workspace_id}"


def verify_workspace(workspace_id: int, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk one workspace's entries in order; return how many were checked and the first break.

    Each must carry the next number of the workspace, match its hash and link to the entry
    before it in its chain. Only the workspace's own numbers are named, never the installation's.
    """
    expected_number = 1
    previous_in_workspace = GENESIS_HASH
    own_chain_started = False
    checked = 0
    for page in _pages(AuditEntry.objects.filter(workspace_id=workspace_id), batch_size):
        single = _single_predecessors(page)
        for entry in page:
            number = entry.workspace_seq or 0
            if number != expected_number:
                reason = f"entry No. {expected_number} is missing (the next one is No. {number})"
                return checked, ChainBreak(expected_number, entry.pk, reason)
            if entry.chain == Chain.SINGLE:
                linked = not own_chain_started and entry.prev_hash == single.get(entry.pk)
            else:
                own_chain_started = True
                linked = entry.prev_hash == previous_in_workspace
            if not linked:
                return checked, ChainBreak(number, entry.pk, "it does not link to the entry written before it")
            if compute_hash(entry) != entry.hash:
                return checked, ChainBreak(number, entry.pk, "its content does not match its hash (edited)")
            previous_in_workspace = entry.hash
            expected_number += 1
            checked += 1
    return checked, None


def expected_predecessors(entries: list[AuditEntry]) -> dict[int, str | None]:
    """The hash each entry's `prev_hash` must equal by its chain's rule, by entry id (None: no such entry).

    For entries that need not be consecutive (a campaign's, say); the walks above follow the chains instead.
    """
    expected = _single_predecessors(entries)
    own = [entry for entry in entries if entry.chain != Chain.SINGLE]
    wanted = {(e.workspace_id, (e.workspace_seq or 0) - 1) for e in own if e.workspace_id is not None}
    found = AuditEntry.objects.filter(
        workspace_id__in={w for w, _ in wanted}, workspace_seq__in={n for _, n in wanted}
    ).values_list("workspace_id", "workspace_seq", "hash")
    hashes: dict[tuple[int | None, int | None], str] = {(w, n): h for w, n, h in found}
    for entry in own:
        if entry.workspace_id is None:
            earlier = _chain_of(None).filter(seq__lt=entry.seq).order_by("-seq")
            expected[entry.pk] = earlier.values_list("hash", flat=True).first() or GENESIS_HASH
        elif entry.workspace_seq == 1:
            expected[entry.pk] = GENESIS_HASH
        else:
            expected[entry.pk] = hashes.get((entry.workspace_id, (entry.workspace_seq or 0) - 1))
    return expected


def _single_predecessors(entries: list[AuditEntry]) -> dict[int, str | None]:
    """For the entries of the single chain among `entries`: the hash of the entry numbered one below each."""
    single = [entry for entry in entries if entry.chain == Chain.SINGLE]
    found = dict(AuditEntry.objects.filter(seq__in=[e.seq - 1 for e in single]).values_list("seq", "hash"))
    return {e.pk: found.get(e.seq - 1, GENESIS_HASH if e.seq == 1 else None) for e in single}


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
