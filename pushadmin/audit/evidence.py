"""A campaign's evidence: its trail excerpt with hashes, approvals, batches, calls and outcomes.

`evidence_pack` streams a zip (content, approvals, recipients and outcomes, calls, trail
excerpt with hashes and their checks) member by member and row by row, so a campaign of a
million messages is packed in constant memory.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from pushadmin.analytics.models import Snapshot, TaskLookup
from pushadmin.audit.exports import csv_lines
from pushadmin.audit.history import EXPORT_CHUNK, KINDS, every_row, when
from pushadmin.audit.models import AuditEntry
from pushadmin.audit.trail import compute_hash, expected_predecessors
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery.models import Attempt, Message, MessageStatus
from pushadmin.reviews.fingerprint import content_of
from pushadmin.reviews.models import Approval
from pushadmin.safety import evidence as safety_evidence

TRAIL_CHUNK = 500
CAMPAIGN_OBJECT_TYPE = "campaigns.campaign"


@dataclass
class CheckedEntry:
    entry: AuditEntry
    hash_ok: bool
    linked: bool  # its prev_hash is the hash of the entry before it in its chain (see audit/trail.py)

    @property
    def state_change(self) -> str:
        before, after = self.entry.before or {}, self.entry.after or {}
        if "status" in after:
            return f"{_status_words(before.get('status', ''))} → {_status_words(after['status'])}"
        return ""

    @property
    def detail_text(self) -> str:
        parts = dict(self.entry.detail or {})
        if not self.state_change:
            parts.update(
                {key: value for key, value in {"before": self.entry.before, "after": self.entry.after}.items() if value}
            )
        return json.dumps(parts, ensure_ascii=False, sort_keys=True) if parts else ""


def _status_words(status: str) -> str:
    """A campaign state as the reader's language names it; a state unknown today as recorded."""
    return str(CampaignStatus(status).label) if status in CampaignStatus.values else status


def campaign_entries(campaign: Campaign) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=CAMPAIGN_OBJECT_TYPE, object_id=str(campaign.pk))


def checked_trail(campaign: Campaign, limit: int | None = None) -> Iterator[CheckedEntry]:
    """The campaign's entries in order, each checked against its own hash and its predecessor's."""
    last_seq, given = 0, 0
    while limit is None or given < limit:
        chunk = list(campaign_entries(campaign).filter(seq__gt=last_seq).order_by("seq")[:TRAIL_CHUNK])
        if not chunk:
            return
        expected = expected_predecessors(chunk)
        for entry in chunk:
            yield CheckedEntry(entry, compute_hash(entry) == entry.hash, entry.prev_hash == expected[entry.pk])
            given += 1
            if limit is not None and given >= limit:
                return
        last_seq = chunk[-1].seq


def approvals_of(campaign: Campaign) -> QuerySet[Approval]:
    return Approval.objects.filter(campaign=campaign).select_related("reviewer").order_by("created_at", "id")


def outcome_counts(campaign: Campaign) -> list[tuple[str, int]]:
    rows = Message.objects.filter(campaign=campaign).values("status").annotate(n=Count("id")).order_by("status")
    labels = dict(MessageStatus.choices)  # the choices of Message.status
    return [(str(labels.get(row["status"], row["status"])), row["n"]) for row in rows]


def calls_of(campaign: Campaign) -> QuerySet[Attempt]:
    return Attempt.objects.filter(campaign=campaign).select_related("batch").order_by("started_at", "id")


def _content(campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "workspace": campaign.workspace.name,
            "status": campaign.status,
            "revision": campaign.revision,
            "fingerprint": campaign.fingerprint,
            "author": campaign.created_by.get_username(),
            "msg_key_prefix": campaign.msg_key_prefix,
            "created_at": campaign.created_at,
            "submitted_at": campaign.submitted_at,
            "approved_at": campaign.approved_at,
            "started_at": campaign.started_at,
            "finished_at": campaign.finished_at,
        },
        **content_of(campaign),
        "safety_nets": safety_evidence.facts(campaign),
    }


class _Chunks:
    """An unseekable file that collects what zipfile writes so the response can stream it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """Never called: zipfile leaves a file it was given open."""

    def drain(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


def _readme(campaign: Campaign, generated_by: str) -> str:
    return f"""Evidence pack for campaign {campaign.pk} “{campaign.name}” ({campaign.workspace.name})
Generated {timezone.now().isoformat()} by {generated_by}.

campaign.json   what was sent: template name, title and text, options, strategy, missing-data
                policy, fallbacks, delivery type; the fingerprint reviewers approved
approvals.csv   every approval with reviewer, revision, fingerprint, time, and whether it was voided
messages.csv    every recipient with its MsgKey, outcome, result code, RequestId and task id
calls.csv       every PushMultiple call with its outcome, code and RequestId
figures.csv     every read of mPaaS's delivery figures (pushed, arrived, opened, ignored, per
                channel) with the time it was taken; lookups.csv what mPaaS's task list said
                about each call whose outcome was unknown
recalls.csv     every recall asked for, with its reason, and each mPaaS task's RevokePushTask answer
trail.csv       the campaign's audit trail entries, numbered as in the workspace's trail, with
                their hashes; hash_ok says the entry matches its own hash, linked says its
                previous-hash field matches the entry written before it in its chain. chain
                says which: "workspace", the workspace's entry numbered one below it;
                "single", for entries written before each workspace had a chain of its own,
                the entry written before it in the whole installation. The trail page checks
                the workspace's entries; installation administrators check every chain.
"""


def evidence_pack(campaign: Campaign, generated_by: str) -> Iterator[bytes]:
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(campaign, generated_by))
        archive.writestr("campaign.json", json.dumps(_content(campaign), indent=2, ensure_ascii=False, default=str))
        yield sink.drain()
        for name, lines in _tables(campaign):
            with archive.open(name, mode="w", force_zip64=True) as member:
                for line in lines:
                    member.write(line.encode())
                    if sink.size > 64 * 1024:
                        yield sink.drain()
            yield sink.drain()
    yield sink.drain()


MESSAGE_FIELDS = (
    "seq",
    "target",
    "msg_key",
    "status",
    "result_code",
    "result_message",
    "request_id",
    "task_id",
    "send_round",
    "updated_at",
)
MESSAGE_HEADER = (
    "Row",
    "Target",
    "MsgKey",
    "State",
    "Result code",
    "Result",
    "RequestId",
    "Task id",
    "Round",
    "Updated (UTC)",
)


def _message_lines(campaign: Campaign) -> Iterator[list[Any]]:
    """Every message in row order, read as plain tuples (a million model objects would dominate the time)."""
    labels = dict(MessageStatus.choices)
    last_seq = 0
    rows = Message.objects.filter(campaign=campaign).order_by("seq").values_list(*MESSAGE_FIELDS)
    while True:
        page = list(rows.filter(seq__gt=last_seq)[:EXPORT_CHUNK])
        if not page:
            return
        for row in page:
            yield [*row[:3], labels.get(row[3], row[3]), *row[4:9], when(row[9])]
        last_seq = page[-1][0]


def _tables(campaign: Campaign) -> Iterator[tuple[str, Iterator[str]]]:
    approvals = (
        (a.reviewer.get_username(), a.revision, a.fingerprint, a.created_at, a.voided_at or "", a.void_reason)
        for a in approvals_of(campaign)
    )
    yield (
        "approvals.csv",
        csv_lines(("reviewer", "revision", "fingerprint", "approved_at", "voided_at", "void_reason"), approvals),
    )
    yield "messages.csv", csv_lines(MESSAGE_HEADER, _message_lines(campaign))
    yield "recalls.csv", csv_lines(safety_evidence.RECALL_HEADER, safety_evidence.recall_rows(campaign))
    calls = KINDS["calls"]
    attempts = every_row(
        Attempt.objects.filter(campaign=campaign).select_related("batch", "campaign"), "pk", newest_first=False
    )
    yield (
        "calls.csv",
        csv_lines([str(c.heading) for c in calls.columns], ([c.value(a) for c in calls.columns] for a in attempts)),
    )
    snapshots = Snapshot.objects.filter(campaign=campaign).order_by("taken_at")
    yield (
        "figures.csv",
        csv_lines(
            ("read_at", "targets", "pushed", "arrived", "opened", "ignored", "per_channel"),
            (
                (s.taken_at.isoformat(), s.push_total, s.pushed, s.arrived, s.opened, s.ignored, s.channels)
                for s in snapshots.iterator()
            ),
        ),
    )
    lookups = (
        TaskLookup.objects.filter(campaign=campaign).select_related("batch").order_by("batch__send_round", "batch__seq")
    )
    yield (
        "lookups.csv",
        csv_lines(
            ("round", "batch", "task_name", "state", "task_id", "first_checked_at", "checked_at", "checks"),
            (
                (
                    lookup.batch.send_round,
                    lookup.batch.seq,
                    lookup.task_name,
                    lookup.get_state_display(),
                    lookup.task_id,
                    lookup.first_checked_at.isoformat(),
                    lookup.checked_at.isoformat(),
                    lookup.checks,
                )
                for lookup in lookups
            ),
        ),
    )
    trail_rows = (
        (
            c.entry.workspace_seq,
            c.entry.created_at.isoformat(),
            c.entry.actor_label,
            c.entry.ip or "",
            c.entry.action,
            c.entry.before,
            c.entry.after,
            c.entry.detail,
            c.entry.prev_hash,
            c.entry.hash,
            c.hash_ok,
            c.linked,
            c.entry.chain,
        )
        for c in checked_trail(campaign)
    )
    header = (
        "number",
        "time",
        "actor",
        "ip",
        "action",
        "before",
        "after",
        "detail",
        "prev_hash",
        "hash",
        "hash_ok",
        "linked",
        "chain",
    )
    yield "trail.csv", csv_lines(header, trail_rows)
