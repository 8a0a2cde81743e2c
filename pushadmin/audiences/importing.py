"""Streaming import of an audience file, run by a Celery task.

Members are written in chunks under the audience's next generation; only the final short
transaction makes them the audience's members. Memory stays flat: one chunk of rows plus
an 8-byte hash per target seen (for duplicates), about 60 MB for a million targets.

A run claims its import with one conditional update (status, claim token, lease) and every
committed slice first renews that lease under the same token, in the slice's transaction.
If the worker dies, the lease runs out and the sweeper (`recovery.py`) hands the import to
a new run, which starts again from the top: the half-written generation and its report are
discarded first. A worker that was only stalled finds its token gone at its next slice and
stops without writing anything more.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.db.models import F
from django.utils import timezone

from pushadmin.audiences.csv_reading import CsvFileError, CsvStream, Member, RowReject
from pushadmin.audiences.models import (
    Audience,
    AudienceImport,
    AudienceMember,
    ImportRunStatus,
    ImportStatus,
    RejectedRow,
)
from pushadmin.audit import trail
from pushadmin.console import recorded_reasons as reasons
from pushadmin.operations import metrics, table_statistics
from pushadmin.webhooks.events import emit

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
IMPORTS_FOLDER = "imports"
# Renewed with every committed slice of CHUNK_ROWS rows, which takes well under a second.
IMPORT_LEASE = timedelta(minutes=2)


class ClaimLost(Exception):
    """The sweeper gave this import to another run (this one's lease ran out); stop writing."""


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
    def __init__(self, job: AudienceImport, token: str) -> None:
        self.job = job
        self.token = token
        self.audience = job.audience
        self.generation = self.audience.generation + 1
        self.seen: set[int] = set()
        self.pending: dict[str, int] = {}  # targets of the unflushed chunk -> line
        self.members: list[tuple[Any, ...]] = []
        self.rejects: list[RejectedRow] = []
        self.imported = 0
        self.with_missing = 0
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
                why = reasons.written(reasons.ROW_DUPLICATE, line=first)
                outcome = RowReject(outcome.line_number, outcome.target, why)
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
                self.with_missing += bool(outcome.missing)
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

    def renew(self, **progress: Any) -> None:
        renew_claim(self.job.pk, self.token, **progress)

    def flush(self, bytes_done: int) -> None:
        with transaction.atomic():
            # The claim's row is locked first, so the sweeper cannot take the import back mid-slice.
            self.renew(
                bytes_done=bytes_done,
                rows_read=self.read,
                rows_imported=self.imported,
                rows_with_missing=self.with_missing,
                rows_rejected=self.rejected,
            )
            _insert_members(self.members)
            RejectedRow.objects.bulk_create(self.rejects, batch_size=1000)
        self.members, self.rejects, self.pending = [], [], {}
        reset_queries()  # with DEBUG on, Django would otherwise keep every INSERT in memory


def renew_claim(import_id: int, token: str, **progress: Any) -> None:
    """Extend the lease of a claimed import (with its progress); ClaimLost if `token` no longer holds it."""
    _update_held(import_id, token, lease_until=timezone.now() + IMPORT_LEASE, **progress)


def _update_held(import_id: int, token: str, **fields: Any) -> None:
    """Write `fields` only while `token` holds the running import; ClaimLost, writing nothing, otherwise."""
    held = AudienceImport.objects.filter(pk=import_id, status=ImportRunStatus.RUNNING, claim_token=token)
    if held.update(**fields) != 1:
        raise ClaimLost(f"audience import {import_id} is no longer held by this run")


def _insert_members(rows: list[tuple[Any, ...]]) -> None:
    """One multi-row INSERT statement per chunk (COPY on PostgreSQL).

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
        if connection.vendor == "postgresql":
            # COPY takes the rows as one stream: a third of the time of a statement per row.
            table = quote(AudienceMember._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)


def _discard_generation(audience: Audience, generation: int, fence: Callable[[], None] | None = None) -> None:
    """Delete one generation's members in slices; `fence` (a claim renewal) runs in each slice's transaction."""
    while True:
        ids = list(
            AudienceMember.objects.filter(audience=audience, generation=generation).values_list("pk", flat=True)[
                :CHUNK_ROWS
            ]
        )
        if not ids:
            return
        with transaction.atomic():
            if fence is not None:
                fence()
            AudienceMember.objects.filter(pk__in=ids).delete()


def enqueue(import_id: int) -> None:
    from pushadmin.audiences.tasks import import_audience

    import_audience.apply_async((import_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def _claim(import_id: int, token: str) -> AudienceImport | None:
    """Queued → running under `token`; a duplicate or late task finds nothing to claim."""
    claimed = AudienceImport.objects.filter(pk=import_id, status=ImportRunStatus.QUEUED).update(
        status=ImportRunStatus.RUNNING,
        claim_token=token,
        lease_until=timezone.now() + IMPORT_LEASE,
        tries=F("tries") + 1,
        bytes_done=0,
        rows_read=0,
        rows_imported=0,
        rows_with_missing=0,
        rows_rejected=0,
    )
    return AudienceImport.objects.select_related("audience").get(pk=import_id) if claimed else None


def _forget_earlier_try(run: _Run) -> None:
    """What a run that died left: the half-written generation and its part of the report."""
    _discard_generation(run.audience, run.generation, run.renew)
    with transaction.atomic():
        run.renew()
        RejectedRow.objects.filter(audience_import=run.job).delete()


def run_import(import_id: int) -> AudienceImport | None:
    """Read the stored file into its audience; returns the finished import (None if not, or no longer, ours)."""
    token = str(uuid.uuid4())
    job = _claim(import_id, token)
    if job is None:
        return None
    with metrics.timed(metrics.AUDIENCE_IMPORT_SECONDS) as outcome:
        try:
            finished = _read_file(_Run(job, token))
        except ClaimLost:
            logger.warning("audience import %s was handed to another run after its lease ran out; stopping", import_id)
            outcome["outcome"] = "handed_over"
            return None
        outcome["outcome"] = "done" if finished.status == ImportRunStatus.DONE else "failed"
        return finished


def _read_file(run: _Run) -> AudienceImport:
    job = run.job
    import_id = job.pk
    path = imports_dir() / job.stored_name
    try:
        _forget_earlier_try(run)
        with open(path, "rb") as raw:
            stream = CsvStream(raw)
            run.renew(encoding=stream.layout.encoding, delimiter=stream.layout.delimiter)
            row_limit = settings.PUSHADMIN_MAX_AUDIENCE_ROWS
            for outcome in stream:
                if run.read >= row_limit:
                    raise CsvFileError(reasons.TOO_MANY_ROWS, line=outcome.line_number, limit=f"{row_limit:,}")
                run.take(outcome)
                if len(run.members) + len(run.rejects) >= CHUNK_ROWS:
                    run.flush(stream.bytes_read)
            run.flush(stream.bytes_read)
            run.renew(encoding=stream.encoding)  # a line past the first 64 KB may have decided it
            columns = stream.layout.placeholder_names
    except CsvFileError as exc:
        return fail_claimed(job, run.token, str(exc))
    except ClaimLost:
        raise
    except Exception:
        logger.exception("audience import %s failed", import_id)
        return fail_claimed(job, run.token, reasons.written(reasons.IMPORT_INTERNAL_ERROR))
    return _finish(run, columns)


def _finish(run: _Run, columns: list[str]) -> AudienceImport:
    old_generation = run.audience.generation
    with transaction.atomic():
        trail.lock_chain(run.audience.workspace_id)  # before the import's row lock, in the order the sweeper takes them
        done = AudienceImport.objects.filter(
            pk=run.job.pk, status=ImportRunStatus.RUNNING, claim_token=run.token
        ).update(status=ImportRunStatus.DONE, claim_token="", lease_until=None, finished_at=timezone.now())
        if done != 1:
            raise ClaimLost(f"audience import {run.job.pk} is no longer held by this run")
        Audience.objects.filter(pk=run.audience.pk).update(
            generation=run.generation,
            member_count=run.imported,
            columns=columns,
            import_status=ImportStatus.READY,
            updated_at=timezone.now(),
        )
        trail.record(
            "audience.imported",
            actor=run.job.created_by,
            workspace=run.audience.workspace,
            obj=run.audience,
            after={"members": run.imported},
            detail={"import": run.job.pk, "rows_read": run.read, "rejected": run.rejected},
        )
        import_finished(
            run.audience,
            run.job.pk,
            status=ImportRunStatus.DONE,
            counts={"read": run.read, "imported": run.imported, "rejected": run.rejected},
        )
    _discard_generation(run.audience, old_generation)
    table_statistics.refresh_after_bulk_write(AudienceMember)  # a campaign copies it next, by keyset
    _remove_file(run.job)
    run.job.refresh_from_db()
    return run.job


def fail_claimed(job: AudienceImport, token: str, message: str) -> AudienceImport:
    """End an import held under `token` as failed with `message` (in English, from `recorded_reasons`),
    leaving the audience as it was.

    Raises ClaimLost (having changed nothing more) if `token` no longer holds the import.
    """
    audience = job.audience
    fence = functools.partial(renew_claim, job.pk, token)
    _discard_generation(audience, audience.generation + 1, fence)
    with transaction.atomic():
        fence()
        RejectedRow.objects.filter(audience_import=job).delete()
    with transaction.atomic():
        trail.lock_chain(audience.workspace_id)  # before the import's row lock, in the order the sweeper takes them
        _update_held(
            job.pk,
            token,
            status=ImportRunStatus.FAILED,
            claim_token="",
            lease_until=None,
            error=message[:500],
            finished_at=timezone.now(),
        )
        Audience.objects.filter(pk=audience.pk).update(import_status=ImportStatus.FAILED)
        trail.record(
            "audience.import_failed",
            actor=job.created_by,
            workspace=audience.workspace,
            obj=audience,
            detail={"import": job.pk, "error": message[:300]},
        )
        import_finished(audience, job.pk, status=ImportRunStatus.FAILED, error=message[:300])
    _remove_file(job)
    job.refresh_from_db()
    return job


def import_finished(audience: Audience, import_id: int, *, status: str, **facts: Any) -> None:
    """The `audience.import_finished` webhook event, in the transaction that ends the import."""
    data = {"audience": {"id": audience.pk, "name": audience.name}, "import": {"id": import_id, "status": status}}
    emit(audience.workspace_id, "audience.import_finished", {**data, **facts})


def _remove_file(job: AudienceImport) -> None:
    (imports_dir() / job.stored_name).unlink(missing_ok=True)
