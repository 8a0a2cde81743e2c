"""Each workspace's entries chain among themselves; entries written before that verify as they were written."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.audit.models import AuditEntry, Chain
from pushadmin.workspaces.models import Workspace
from tests.personas import make_workspace

pytestmark = pytest.mark.django_db


def old_canonical(entry: AuditEntry) -> bytes:
    """The hashed form as the single chain wrote it, before entries said which chain they belong to."""
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


def write_the_old_way(action: str, workspace: Workspace | None) -> AuditEntry:
    """An entry as the single installation-wide chain wrote it, marked as the migration marks those."""
    last = AuditEntry.objects.order_by("-seq").first()
    numbered = AuditEntry.objects.filter(workspace=workspace).order_by("-seq").first() if workspace else None
    entry = AuditEntry(
        seq=last.seq + 1 if last else 1,
        workspace_seq=((numbered.workspace_seq or 0) if numbered else 0) + 1 if workspace else None,
        created_at=timezone.now(),
        actor_label="tester",
        workspace=workspace,
        action=action,
        detail={"text": "héllo ✓"},
        prev_hash=last.hash if last else trail.GENESIS_HASH,
        chain=Chain.SINGLE,
    )
    entry.hash = hashlib.sha256(old_canonical(entry)).hexdigest()
    entry.save(force_insert=True)
    return entry


def upgrade() -> None:
    """What migration 0004 does to a trail: later numbers follow the highest one given."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval('{trail.SEQUENCE}', COALESCE(MAX(seq), 0) + 1, false) FROM audit_auditentry")


def tamper(sql: str, params: list[object]) -> None:
    """Change a row behind the trail's back (on PostgreSQL with triggers off for the statement, as a
    superuser could: the append-only trigger would refuse it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


class Trail:
    def __init__(self) -> None:
        self.a = make_workspace("Workspace A")
        self.b = make_workspace("Workspace B")
        assert not AuditEntry.objects.exists(), "the single chain starts at entry #1"
        old = [self.a, self.b, None, self.a, self.b, self.a]
        self.old = [write_the_old_way("old.event", workspace) for workspace in old]
        upgrade()
        new = [self.a, self.b, self.a, None, self.a]
        self.new = [trail.record("new.event", actor_label="tester", workspace=workspace) for workspace in new]

    def of(self, workspace: Workspace | None) -> Iterator[AuditEntry]:
        for entry in self.old + self.new:
            if entry.workspace_id == (workspace.pk if workspace else None):
                yield entry


@pytest.fixture
def written() -> Trail:
    return Trail()


def test_entries_written_before_and_after_the_change_verify_together(written: Trail) -> None:
    assert trail.verify_chain() == (11, None)
    assert trail.verify_workspace(written.a.pk) == (6, None)
    assert trail.verify_workspace(written.b.pk) == (3, None)
    assert [e.workspace_seq for e in written.of(written.a)] == [1, 2, 3, 4, 5, 6]


def test_a_new_entry_links_to_the_entry_before_it_in_its_own_workspace(written: Trail) -> None:
    a_entries = list(written.of(written.a))
    old_a_last, first_new_a, second_new_a = a_entries[2], a_entries[3], a_entries[4]
    assert first_new_a.prev_hash == old_a_last.hash, "the workspace's chain goes on from its last old entry"
    assert second_new_a.prev_hash == first_new_a.hash, "not the other workspace's entry written between them"
    without = list(written.of(None))
    assert without[1].prev_hash == without[0].hash, "entries without a workspace chain among themselves"
    assert all(e.chain == Chain.WORKSPACE for e in written.new)


def test_each_entry_links_to_what_its_chain_says_even_when_read_alone(written: Trail) -> None:
    entries = list(AuditEntry.objects.order_by("?"))
    expected = trail.expected_predecessors(entries)
    assert all(expected[entry.pk] == entry.prev_hash for entry in entries)


def test_editing_an_old_entry_is_named_at_that_entry(written: Trail) -> None:
    edited = written.old[3]  # workspace A's second entry
    tamper("UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s", [edited.pk])
    assert trail.verify_chain() == (
        3,
        trail.ChainBreak(edited.seq, edited.pk, "its content does not match its hash (edited)"),
    )
    assert trail.verify_workspace(written.a.pk) == (
        1,
        trail.ChainBreak(2, edited.pk, "its content does not match its hash (edited)"),
    )
    assert trail.verify_workspace(written.b.pk) == (3, None)


def test_editing_a_new_entry_is_named_at_that_entry(written: Trail) -> None:
    edited = written.new[2]  # workspace A's fifth entry
    tamper("UPDATE audit_auditentry SET actor_label = 'someone else' WHERE id = %s", [edited.pk])
    checked, broken = trail.verify_chain()
    assert (checked, broken) == (
        8,
        trail.ChainBreak(edited.seq, edited.pk, "its content does not match its hash (edited)"),
    )
    assert trail.verify_workspace(written.a.pk) == (
        4,
        trail.ChainBreak(5, edited.pk, "its content does not match its hash (edited)"),
    )
    assert trail.verify_workspace(written.b.pk) == (3, None)


def test_deleting_a_new_entry_is_named_at_the_gap(written: Trail) -> None:
    deleted, following = written.new[0], written.new[2]  # workspace A's fourth and fifth entries
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [deleted.pk])
    checked, broken = trail.verify_chain()
    assert broken is not None and (checked, broken.seq, broken.entry_id) == (7, following.seq, following.pk)
    checked, broken = trail.verify_workspace(written.a.pk)
    assert broken is not None and (checked, broken.seq) == (3, 4)
    assert broken.reason == "entry No. 4 is missing (the next one is No. 5)"


def test_deleting_an_entry_without_a_workspace_breaks_the_installations_own_chain(written: Trail) -> None:
    deleted = written.new[3]
    later = trail.record("new.event", actor_label="tester")
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [deleted.pk])
    broken = trail.verify_chain()[1]
    assert broken is not None and (broken.seq, broken.entry_id) == (later.seq, later.pk)
    assert "the installation's entries without a workspace" in broken.reason


@pytest.mark.parametrize(("which", "marked_as"), [("old", Chain.WORKSPACE), ("new", Chain.SINGLE)])
def test_an_entry_cannot_be_moved_to_the_other_chains_rule(written: Trail, which: str, marked_as: str) -> None:
    moved = (written.old if which == "old" else written.new)[1]  # workspace B's entry
    tamper("UPDATE audit_auditentry SET chain = %s WHERE id = %s", [marked_as, moved.pk])
    broken = trail.verify_chain()[1]
    assert broken is not None and (broken.seq, broken.entry_id) == (moved.seq, moved.pk)
    broken = trail.verify_workspace(written.b.pk)[1]
    assert broken is not None and broken.entry_id == moved.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_only_for_writers_of_its_own_workspace() -> None:
    a, b = make_workspace("Workspace A"), make_workspace("Workspace B")
    held, release = threading.Event(), threading.Event()

    def hold_a_chain() -> None:
        try:
            with transaction.atomic():
                trail.record("held.event", actor_label="tester", workspace=a)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a_chain)
    holder.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            trail.record("other.event", actor_label="tester", workspace=b)
            trail.record("installation.event", actor_label="tester")
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            trail.record("same.event", actor_label="tester", workspace=a)
    finally:
        release.set()
        holder.join(10)
    assert trail.verify_chain() == (3, None)
