"""Verifying the audit trail in the background.

A workspace's auditors check their workspace's chain; installation administrators check
every chain (see audit/trail.py). Either walks every entry, longer than a request should take, so a request
only queues a check (or finds the one already waiting) and a worker claims and runs it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from pushadmin.audit.models import ChainCheck, ChainCheckStatus
from pushadmin.audit.trail import verify_chain, verify_workspace
from pushadmin.workspaces.models import Workspace

# A check still waiting or running after this long was lost with its worker; a new one may start.
LOST_AFTER = timedelta(hours=1)
PENDING = (ChainCheckStatus.QUEUED, ChainCheckStatus.RUNNING)


def request_check(workspace: Workspace | None, user: User) -> ChainCheck:
    """Queue a check of `workspace`'s entries (None: the whole chain), unless one is already pending."""
    since = timezone.now() - LOST_AFTER
    pending = ChainCheck.objects.filter(workspace=workspace, status__in=PENDING, requested_at__gt=since).first()
    if pending is not None:
        return pending
    check = ChainCheck.objects.create(workspace=workspace, requested_by=user)
    transaction.on_commit(lambda: enqueue(check.pk))
    return check


def latest_check(workspace: Workspace | None) -> ChainCheck | None:
    return ChainCheck.objects.filter(workspace=workspace).first()


def enqueue(check_id: int) -> None:
    from pushadmin.audit.tasks import verify_audit_trail

    verify_audit_trail.apply_async((check_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def run_check(check_id: int) -> ChainCheck | None:
    """Claim a queued check and run it; None if another run claimed it first."""
    if not ChainCheck.objects.filter(pk=check_id, status=ChainCheckStatus.QUEUED).update(
        status=ChainCheckStatus.RUNNING
    ):
        return None
    check = ChainCheck.objects.get(pk=check_id)
    checked, broken = verify_workspace(check.workspace_id) if check.workspace_id else verify_chain()
    ChainCheck.objects.filter(pk=check_id, status=ChainCheckStatus.RUNNING).update(
        status=ChainCheckStatus.DONE,
        finished_at=timezone.now(),
        entries_checked=checked,
        broken_at=broken.seq if broken else None,
        reason=broken.reason[:300] if broken else "",
    )
    check.refresh_from_db()
    return check
