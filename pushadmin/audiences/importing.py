"""Streaming import of an audience file, run by a Celery task.

Members are written in chunks under the audience's next generation; only the final short
transaction makes them the audience's members. Memory stays flat: one chunk of rows plus
an 8-byte hash per target seen (for duplicates), about 60 MB for a million targets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from pushadmin.audiences.csv_reading import CsvFileError, CsvStream, Member, RowReject, check_row
from pushadmin.audiences.models import (
    Audience,
    AudienceImport,
    AudienceMember,
    ImportRunStatus,
    ImportStatus,
    RejectedRow,
)
from pushadmin.audit import trail

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
IMPORTS_FOLDER = "imports"


def imports_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / IMPORTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_stored_name() -> str:
    """Random, so an upload's name never decides where it lands or what it overwrites."""
    return f"{secrets.token_hex(16)}.csv"


def store_upload(chunks: Iterable[bytes]) -> tuple[str, int]:
    name = new_stored_name()
    size = 0
    with open(imports_dir() / name, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            out.write(chunk)
    return name, size


def _target_hash(target: str) -> int:
    return int.from_bytes(hashlib.blake2b(target.encode("utf-8"), digest_size=8).digest(), "big")


class _Run:
    def __init__(self, job: AudienceImport) -> None:
        self.job = job
        self.audience = job.audience
        self.generation = self.audience.generation + 1
        self.seen: set[int] = set()
        self.pending: dict[str, int] = {}  # targets of the unflushed chunk -> line
        self.members: list[tuple[Any, ...]] = []
        self.rejects: list[RejectedRow] = []
        self.imported = 0
        self.rejected = 0
        self.read = 0

    def first_line_of(self, target: str) -> int | None:
        if target in self.pending:
            return self.pending[target]
        return (
            AudienceMember.objects.filter(audience=self.audience, generation=self.generation, target=target)
            .values_list("line_number", flat=True)
            .first()
        )

    def take(self, outcome: Member | RowReject) -> None:
        self.read += 1
        if isinstance(outcome, Member):
            key = _target_hash(outcome.target)
            first = self.first_line_of(outcome.target) if key in self.seen else None
            if first is not None:
                outcome = RowReject(outcome.line_number, outcome.target, f"duplicate target (first on line {first})")
            else:
                self.seen.add(key)
                self.pending[outcome.target] = outcome.line_number
                self.members.append(
                    (
                        self.audience.pk,
                        self.generation,
                        outcome.line_number,
                        outcome.target,
                        json.dumps(outcome.values),
                        json.dumps(outcome.extended_params) if outcome.extended_params else None,
                    )
                )
                self.imported += 1
                return
        self.rejected += 1
        self.rejects.append(
            RejectedRow(
                audience_import=self.job,
                line_number=outcome.line_number,
                target=outcome.target,
                reason=outcome.reason[:300],
            )
        )

    def flush(self, bytes_done: int) -> None:
        _insert_members(self.members)
        RejectedRow.objects.bulk_create(self.rejects, batch_size=1000)
        self.members, self.rejects, self.pending = [], [], {}
        AudienceImport.objects.filter(pk=self.job.pk).update(
            bytes_done=bytes_done, rows_read=self.read, rows_imported=self.imported, rows_rejected=self.rejected
        )
        reset_queries()  # with DEBUG on, Django would otherwise keep every INSERT in memory


def _insert_members(rows: list[tuple[Any, ...]]) -> None:
    """One multi-row INSERT statement per chunk.

    Model instances and bulk_create cost more than reading and checking the CSV itself;
    at a million rows that is minutes. The JSON text is what JSONField would store.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    json_value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    columns = ", ".join(
        quote(c) for c in ("audience_id", "generation", "line_number", "target", "values", "extended_params")
    )
    sql = (
        f"INSERT INTO {quote(AudienceMember._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model, values bound
        f"VALUES (%s, %s, %s, %s, {json_value}, {json_value})"
    )
    # One transaction per chunk: in autocommit mode SQLite would commit every row.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _discard_generation(audience: Audience, generation: int) -> None:
    while True:
        ids = list(
            AudienceMember.objects.filter(audience=audience, generation=generation).values_list("pk", flat=True)[
                :CHUNK_ROWS
            ]
        )
        if not ids:
            return
        AudienceMember.objects.filter(pk__in=ids).delete()


def _claim(import_id: int) -> AudienceImport | None:
    claimed = AudienceImport.objects.filter(pk=import_id, status=ImportRunStatus.QUEUED).update(
        status=ImportRunStatus.RUNNING
    )
    return AudienceImport.objects.select_related("audience").get(pk=import_id) if claimed else None


def run_import(import_id: int) -> AudienceImport | None:
    """Read the stored file into its audience; returns the finished import (None if already taken)."""
    job = _claim(import_id)
    if job is None:
        return None
    run = _Run(job)
    path = imports_dir() / job.stored_name
    try:
        _discard_generation(run.audience, run.generation)  # left by a worker that died mid-import
        with open(path, "rb") as raw:
            stream = CsvStream(raw)
            AudienceImport.objects.filter(pk=job.pk).update(
                encoding=stream.layout.encoding, delimiter=stream.layout.delimiter
            )
            row_limit = settings.PUSHADMIN_MAX_AUDIENCE_ROWS
            for line_number, cells in stream:
                if run.read >= row_limit:
                    raise CsvFileError(
                        f"Line {line_number}: the file has more than {row_limit:,} rows, the most one audience may "
                        "hold (PUSHADMIN_MAX_AUDIENCE_ROWS); split it into several audiences."
                    )
                run.take(check_row(stream.layout, line_number, cells))
                if len(run.members) + len(run.rejects) >= CHUNK_ROWS:
                    run.flush(stream.bytes_read)
            run.flush(stream.bytes_read)
            columns = stream.layout.placeholder_names
    except CsvFileError as exc:
        return _fail(run, str(exc))
    except Exception:
        logger.exception("audience import %s failed", import_id)
        return _fail(run, "The import stopped on an internal error; the audience was not changed.")
    return _finish(run, columns)


def _finish(run: _Run, columns: list[str]) -> AudienceImport:
    old_generation = run.audience.generation
    with transaction.atomic():
        Audience.objects.filter(pk=run.audience.pk).update(
            generation=run.generation,
            member_count=run.imported,
            columns=columns,
            import_status=ImportStatus.READY,
            updated_at=timezone.now(),
        )
        AudienceImport.objects.filter(pk=run.job.pk).update(status=ImportRunStatus.DONE, finished_at=timezone.now())
        trail.record(
            "audience.imported",
            actor=run.job.created_by,
            workspace=run.audience.workspace,
            obj=run.audience,
            after={"members": run.imported},
            detail={"import": run.job.pk, "rows_read": run.read, "rejected": run.rejected},
        )
    _discard_generation(run.audience, old_generation)
    _remove_file(run.job)
    run.job.refresh_from_db()
    return run.job


def _fail(run: _Run, message: str) -> AudienceImport:
    _discard_generation(run.audience, run.generation)
    RejectedRow.objects.filter(audience_import=run.job).delete()
    with transaction.atomic():
        AudienceImport.objects.filter(pk=run.job.pk).update(
            status=ImportRunStatus.FAILED, error=message[:500], finished_at=timezone.now()
        )
        Audience.objects.filter(pk=run.audience.pk).update(import_status=ImportStatus.FAILED)
        trail.record(
            "audience.import_failed",
            actor=run.job.created_by,
            workspace=run.audience.workspace,
            obj=run.audience,
            detail={"import": run.job.pk, "error": message[:300]},
        )
    _remove_file(run.job)
    run.job.refresh_from_db()
    return run.job


def _remove_file(job: AudienceImport) -> None:
    (imports_dir() / job.stored_name).unlink(missing_ok=True)
