"""Adding to and removing from a workspace's suppression list: named actions, each audited.

A CSV import streams the file with the audiences' reader (any usual encoding and separator,
a 'target' column, optional 'reason' and 'note' columns) and reports each refused row with
its line and reason; the accepted rows are added in one transaction, so a file that fails as
a whole adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from pushadmin.audiences.csv_reading import MAX_TARGET_LENGTH, CsvStream, RowReject
from pushadmin.audit import trail
from pushadmin.safety.models import Suppression, SuppressionReason
from pushadmin.workspaces.models import Workspace

REASON_COLUMN = "reason"
NOTE_COLUMN = "note"
MAX_NOTE = 300
# Spellings a file may use for the reasons, besides the codes themselves.
REASON_WORDS = {
    **{choice.value: choice.value for choice in SuppressionReason},
    **{choice.label.lower(): choice.value for choice in SuppressionReason},
    "opt-out": SuppressionReason.OPTED_OUT,
    "optout": SuppressionReason.OPTED_OUT,
    "legal": SuppressionReason.LEGAL_HOLD,
}
INSERT_CHUNK = 2000


class SuppressionRefused(ValueError):
    """Nothing was changed; the message names the field and why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def add(request: Any, workspace: Workspace, *, target: str, reason: str, note: str = "") -> Suppression:
    target = target.strip()
    if not target:
        raise SuppressionRefused("target", _("Enter the target (device id or user id) to suppress."))
    if len(target) > MAX_TARGET_LENGTH:
        raise SuppressionRefused("target", _("A target is at most %(max)s characters.") % {"max": MAX_TARGET_LENGTH})
    if reason not in SuppressionReason.values:
        raise SuppressionRefused("reason", _("Choose opted out, complaint or legal hold."))
    with transaction.atomic():
        entry, created = Suppression.objects.get_or_create(
            workspace=workspace,
            target=target,
            defaults={"reason": reason, "note": note.strip()[:MAX_NOTE], "added_by": request.user},
        )
        if not created:
            raise SuppressionRefused(
                "target",
                _("“%(target)s” is already on the suppression list (%(reason)s).")
                % {"target": target, "reason": entry.get_reason_display()},
            )
        trail.record(
            "suppression.added",
            request=request,
            workspace=workspace,
            obj=entry,
            detail={"target": target, "reason": reason, "note": entry.note},
        )
    return entry


def remove(request: Any, entry: Suppression, *, why: str) -> None:
    why = why.strip()
    if not why:
        raise SuppressionRefused("why", _("Say why this target may be messaged again."))
    with transaction.atomic():
        deleted, _by_model = Suppression.objects.filter(pk=entry.pk).delete()
        if deleted:
            trail.record(
                "suppression.removed",
                request=request,
                workspace=entry.workspace,
                obj=entry,
                detail={"target": entry.target, "reason": entry.reason, "why": why[:MAX_NOTE]},
            )


@dataclass
class ImportReport:
    added: int = 0
    already_listed: int = 0
    rejected: list[RowReject] = field(default_factory=list)
    rejected_count: int = 0


# Refused rows listed on the page; the count stays exact beyond it.
LISTED_REJECTS = 200


def import_csv(
    request: Any, workspace: Workspace, raw: IO[bytes], *, file_name: str, default_reason: str
) -> ImportReport:
    """Add every good row of the file; raises CsvFileError (nothing added) when the file as a whole is unreadable."""
    if default_reason not in SuppressionReason.values:
        raise SuppressionRefused("reason", _("Choose opted out, complaint or legal hold."))
    report = ImportReport()
    stream = CsvStream(raw)
    names = {name.lower(): name for name in stream.layout.placeholder_names}
    reason_key, note_key = names.get(REASON_COLUMN), names.get(NOTE_COLUMN)
    pending: dict[str, Suppression] = {}
    with transaction.atomic():
        for row in stream:
            if isinstance(row, RowReject):
                _reject(report, row)
                continue
            reason = default_reason
            if reason_key and row.values.get(reason_key):
                word = row.values[reason_key].strip().lower()
                if word not in REASON_WORDS:
                    _reject(
                        report,
                        RowReject(
                            row.line_number,
                            row.target,
                            _("unknown reason “%(word)s”: use opted out, complaint or legal hold")
                            % {"word": word[:40]},
                        ),
                    )
                    continue
                reason = REASON_WORDS[word]
            note = (row.values.get(note_key, "") if note_key else "")[:MAX_NOTE]
            pending.setdefault(
                row.target,
                Suppression(
                    workspace=workspace,
                    target=row.target,
                    reason=reason,
                    note=note,
                    added_by=request.user,
                    source=file_name[:200],
                ),
            )
            if len(pending) >= INSERT_CHUNK:
                _insert(workspace, pending.values(), report)
                pending = {}
        _insert(workspace, pending.values(), report)
        trail.record(
            "suppression.imported",
            request=request,
            workspace=workspace,
            detail={
                "file": file_name[:200],
                "added": report.added,
                "already_listed": report.already_listed,
                "rejected": report.rejected_count,
            },
        )
    return report


def _reject(report: ImportReport, row: RowReject) -> None:
    report.rejected_count += 1
    if len(report.rejected) < LISTED_REJECTS:
        report.rejected.append(row)


def _insert(workspace: Workspace, entries: Iterable[Suppression], report: ImportReport) -> None:
    batch = list(entries)
    if not batch:
        return
    known = set(
        Suppression.objects.filter(workspace=workspace, target__in=[e.target for e in batch]).values_list(
            "target", flat=True
        )
    )
    fresh = [e for e in batch if e.target not in known]
    Suppression.objects.bulk_create(fresh, batch_size=INSERT_CHUNK, ignore_conflicts=True)
    report.added += len(fresh)
    report.already_listed += len(batch) - len(fresh)
