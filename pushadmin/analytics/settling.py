"""Unknown outcomes settled from mPaaS's own records.

A call whose answer never came (dropped connection, timeout, killed worker) leaves its messages
unknown: mPaaS may or may not have them. Every call carries a task name unique to its batch and
round (:func:`pushadmin.delivery.requests.task_name_for`), so the sync asks mPaaS's task list for
that name. Found: the messages were accepted, and become so, with the task id, audited as
"confirmed from mPaaS records". Still not found once a safe delay has passed since the call: that
is shown beside the resend decision as evidence (mPaaS lists tasks within moments of accepting
them). Nothing is ever sent again from here; that stays a person's decision.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from pushadmin.analytics.models import LookupState, TaskLookup
from pushadmin.analytics.reading import ReadFailed, answer_of, day_range
from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign
from pushadmin.delivery import clients
from pushadmin.delivery.finishing import correct_ended
from pushadmin.delivery.models import Attempt, Batch, Message, MessageStatus
from pushadmin.delivery.requests import task_name_for
from pushadmin.mpaas.analysis import MAX_RANGE_DAYS
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import QueryPushAnalysisTaskListRequest

logger = logging.getLogger(__name__)

CONFIRMED_NOTE = gettext_noop("Confirmed from mPaaS records")
LOOKUPS_PER_RUN = 50


def _batches_with_unknown(now: datetime) -> list[Batch]:
    ids = (
        Message.objects.filter(
            status=MessageStatus.UNKNOWN,
            batch__isnull=False,
            campaign__started_at__gte=now - timedelta(days=MAX_RANGE_DAYS),
        )
        .values_list("batch_id", flat=True)
        .distinct()
        .order_by()
    )
    return list(Batch.objects.filter(pk__in=list(ids)).select_related("campaign__workspace").order_by("pk"))


def settle_unknown(*, now: datetime | None = None, deadline: float | None = None) -> int:
    """Look up the calls whose outcome is unknown; returns how many messages became accepted."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.PUSHADMIN_ANALYTICS_LOOKUP_SECONDS)
    confirmed = 0
    clients_by_workspace: dict[int, MpaasClient] = {}
    try:
        for batch in _batches_with_unknown(now)[:LOOKUPS_PER_RUN]:
            if deadline is not None and time.monotonic() > deadline:
                break
            campaign = batch.campaign
            lookup, _ = TaskLookup.objects.get_or_create(
                batch=batch,
                defaults={
                    "campaign": campaign,
                    "task_name": task_name_for(campaign, batch.seq, batch.send_round),
                    "first_checked_at": now,
                    "checked_at": now,
                },
            )
            if lookup.checks and lookup.checked_at > now - interval:
                continue
            client = clients_by_workspace.get(campaign.workspace_id)
            if client is None:
                try:
                    client = clients.build_client(
                        campaign.workspace, timeout=float(settings.PUSHADMIN_SEND_HTTP_TIMEOUT)
                    )
                except Exception as exc:
                    logger.info(
                        "unknown outcomes of workspace %s not looked up: %s",
                        campaign.workspace_id,
                        clients.why_not_built(exc),
                    )
                    continue
                clients_by_workspace[campaign.workspace_id] = client
            confirmed += _look_up(client, batch, lookup, now)
    finally:
        for client in clients_by_workspace.values():
            client.close()
    return confirmed


def _look_up(client: MpaasClient, batch: Batch, lookup: TaskLookup, now: datetime) -> int:
    workspace = batch.campaign.workspace
    last_call = Attempt.objects.filter(batch=batch).aggregate(last=Max("started_at"))["last"] or batch.created_at
    request = QueryPushAnalysisTaskListRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        tenant_id=workspace.tenant_id or None,
        start_time=day_range(batch.created_at, now)[0],
        task_name=lookup.task_name,
    )
    checked = {"checked_at": now, "checks": lookup.checks + 1}
    try:
        tasks = answer_of(client.query_push_analysis_task_list(request))
    except ReadFailed as failure:
        TaskLookup.objects.filter(pk=lookup.pk).update(**checked, last_error=str(failure)[:300])
        return 0
    found = [task for task in tasks if task.task_name == lookup.task_name]
    if found:
        return confirm(batch, lookup, found[0].task_id, now=now)
    safe = timedelta(seconds=settings.PUSHADMIN_ANALYTICS_ABSENT_AFTER_SECONDS)
    if now - last_call >= safe and lookup.state == LookupState.PENDING:
        with transaction.atomic():
            TaskLookup.objects.filter(pk=lookup.pk, state=LookupState.PENDING).update(
                **checked, state=LookupState.ABSENT, last_error=""
            )
            trail.record(
                "delivery.unknown_not_in_mpaas",
                actor_label="system",
                workspace=workspace,
                obj=batch.campaign,
                detail={
                    "batch": batch.seq,
                    "round": batch.send_round,
                    "task_name": lookup.task_name,
                    "last_call": last_call.isoformat(),
                    "note": "mPaaS's task list has no task by this call's name",
                },
            )
    else:
        TaskLookup.objects.filter(pk=lookup.pk).update(**checked, last_error="")
    return 0


def confirm(batch: Batch, lookup: TaskLookup, task_id: str, *, now: datetime) -> int:
    """The batch's unknown messages were accepted by mPaaS as task `task_id`."""
    campaign = batch.campaign
    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)
        updated = Message.objects.filter(batch=batch, status=MessageStatus.UNKNOWN).update(
            status=MessageStatus.ACCEPTED,
            task_id=task_id[:64],
            result_code="OK",
            result_message=CONFIRMED_NOTE,
            updated_at=now,
        )
        TaskLookup.objects.filter(pk=lookup.pk).update(
            state=LookupState.CONFIRMED, task_id=task_id[:64], checked_at=now, checks=lookup.checks + 1, last_error=""
        )
        if updated:
            trail.record(
                "delivery.unknown_confirmed",
                actor_label="system",
                workspace=campaign.workspace,
                obj=campaign,
                detail={
                    "batch": batch.seq,
                    "round": batch.send_round,
                    "messages": updated,
                    "task_id": task_id,
                    "task_name": lookup.task_name,
                    "note": "confirmed from mPaaS records",
                },
            )
    if updated:
        correct_ended(campaign.pk, reason="messages of unknown outcome were confirmed from mPaaS records")
    return updated


def evidence(campaign: Campaign) -> list[TaskLookup]:
    """What mPaaS's records said about each of the campaign's calls of unknown outcome."""
    return list(TaskLookup.objects.filter(campaign=campaign).select_related("batch").order_by("batch__seq"))
