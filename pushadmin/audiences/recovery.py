"""Imports a dead worker or a lost task left behind, re-driven by the delivery sweeper.

- An import whose lease ran out was running on a worker that died (killed, out of memory,
  machine lost): it is queued again and started from the top, up to MAX_IMPORT_TRIES runs
  in all; after that it fails with a reason the audience page shows, and the audience keeps
  its members.
- An import still queued a while after its task was sent never started (the filesystem
  broker never redelivers, a restarted Redis may lose it): its task is sent again. The
  claim makes a second copy of the task harmless.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pushadmin.audiences import importing
from pushadmin.audiences.models import MAX_IMPORT_TRIES, AudienceImport, ImportRunStatus
from pushadmin.audit import trail
from pushadmin.console import recorded_reasons as reasons
from pushadmin.redrive import redrive

logger = logging.getLogger(__name__)

# A queued import's task is sent again when no worker started it within this time.
QUEUED_GRACE = timedelta(minutes=2)


def redrive_imports(now: datetime | None = None) -> list[str]:
    """One sweeper pass over imports; returns what it did, one line per import."""
    now = now or timezone.now()
    expired = AudienceImport.objects.filter(_lease_ran_out(now), status=ImportRunStatus.RUNNING)
    waiting = AudienceImport.objects.filter(status=ImportRunStatus.QUEUED, queued_at__lt=now - QUEUED_GRACE)
    return redrive(
        "audience import",
        expired.select_related("audience__workspace", "created_by"),
        lambda job: _take_back(job, now),
        waiting.values_list("pk", "queued_at"),
        lambda import_id, queued_at: _send_again(import_id, queued_at, now),
    )


def _lease_ran_out(now: datetime) -> Q:
    # No lease at all: started before imports were claimed with one.
    return Q(lease_until__lt=now) | Q(lease_until__isnull=True, created_at__lt=now - importing.IMPORT_LEASE)


def _send_again(import_id: int, queued_at: datetime, now: datetime) -> str:
    if not AudienceImport.objects.filter(pk=import_id, status=ImportRunStatus.QUEUED, queued_at=queued_at).update(
        queued_at=now
    ):
        return ""
    transaction.on_commit(lambda: importing.enqueue(import_id))
    return f"import {import_id}: not started since {queued_at:%H:%M:%S}, task sent again"


def _take_back(job: AudienceImport, now: datetime) -> str:
    """Re-queue an import whose worker stopped, or end it as failed after its last try."""
    held_by_dead_worker = AudienceImport.objects.filter(
        _lease_ran_out(now), pk=job.pk, status=ImportRunStatus.RUNNING, claim_token=job.claim_token
    )
    if job.tries >= MAX_IMPORT_TRIES:
        token = str(uuid.uuid4())
        # Claimed first, so a worker that was only stalled cannot write while the leftovers go.
        if not held_by_dead_worker.update(claim_token=token, lease_until=timezone.now() + importing.IMPORT_LEASE):
            return ""
        try:
            importing.fail_claimed(job, token, reasons.written(reasons.IMPORT_GAVE_UP, tries=job.tries))
        except importing.ClaimLost:
            return ""
        return f"import {job.pk}: failed after {job.tries} interrupted tries"
    with transaction.atomic():
        trail.record(  # the chain's lock before the import's row lock
            "audience.import_interrupted",
            workspace=job.audience.workspace,
            obj=job.audience,
            detail={"import": job.pk, "try": job.tries, "tries_allowed": MAX_IMPORT_TRIES, "rows_read": job.rows_read},
        )
        if not held_by_dead_worker.update(
            status=ImportRunStatus.QUEUED, claim_token="", lease_until=None, queued_at=now
        ):
            transaction.set_rollback(True)
            return ""
    transaction.on_commit(lambda: importing.enqueue(job.pk))
    return f"import {job.pk}: worker stopped during try {job.tries}, queued again"
