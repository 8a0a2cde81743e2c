"""Recalling a sent campaign from phones: RevokePushTask for every mPaaS task its calls created.

A reviewer or admin asks, with a reason; a worker then calls RevokePushTask once per distinct
task id (Message.task_id), within the workspace's call rate, records each task's answer, and
marks that task's messages recalled. mPaaS recalls a task only within 7 days of its send, so
past that window the page says why the button is gone instead of offering it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import clients, ratelimit
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import RevokePushTaskRequest
from pushadmin.mpaas.validation import REVOKE_WINDOW_DAYS
from pushadmin.safety.models import Recall, RecallStatus, RecallTask, RecallTaskStatus
from pushadmin.webhooks.events import emit

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=REVOKE_WINDOW_DAYS)
RECALLABLE = (CampaignStatus.SENT, CampaignStatus.PARTLY_SENT)
LEASE = timedelta(minutes=5)
# Calls per task before its answer is left "no definite answer" for a person to try again.
MAX_TRIES = 3
# What mPaaS (and the sandbox) say when the task was recalled before: a repeat after a lost answer.
ALREADY_RECALLED = "already revoked"
RECALLED_NOTE = gettext_noop("Recalled from phones")


class RecallRefused(Exception):
    """The campaign cannot be recalled (the message says why, for people)."""


def _on_mpaas(campaign: Campaign) -> Any:
    return Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED).exclude(task_id="")


def why_not(campaign: Campaign, now: datetime | None = None) -> str | None:
    """Why the campaign cannot be recalled now, in one sentence, or None when it can."""
    now = now or timezone.now()
    if campaign.status not in RECALLABLE:
        return _("Only a sent or partly sent campaign can be recalled.")
    if Recall.objects.filter(campaign=campaign).exclude(status=RecallStatus.DONE).exists():
        return _("A recall of this campaign is already under way.")
    last = _on_mpaas(campaign).aggregate(last=Max("updated_at"))["last"]
    if last is None:
        return _("No message of this campaign is on mPaaS to recall: none was accepted, or all were recalled.")
    if last < now - WINDOW:
        return _(
            "mPaaS recalls a push only within %(days)s days of sending it; this campaign's last accepted call was "
            "on %(when)s UTC, so it can no longer be recalled."
        ) % {"days": REVOKE_WINDOW_DAYS, "when": f"{last:%Y-%m-%d %H:%M}"}
    return None


def start(campaign: Campaign, *, request: Any, reason: str) -> Recall:
    """Record the recall and its tasks, audited, and queue the worker (on commit)."""
    reason = reason.strip()
    if not reason:
        raise RecallRefused(_("Give the reason for the recall."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        refusal = why_not(campaign)
        if refusal:
            raise RecallRefused(refusal)
        recall = Recall.objects.create(campaign=campaign, reason=reason[:300], requested_by=request.user)
        tasks = _on_mpaas(campaign).values("task_id").annotate(n=Count("pk")).order_by("task_id")
        RecallTask.objects.bulk_create(
            RecallTask(recall=recall, task_id=row["task_id"], messages=row["n"]) for row in tasks
        )
        trail.record(
            "campaign.recall_requested",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"recall": recall.pk, "reason": recall.reason, "tasks": len(tasks)},
        )
        transaction.on_commit(lambda: enqueue(recall.pk))
    return recall


def enqueue(recall_id: int) -> None:
    from pushadmin.safety.tasks import run_recall

    run_recall.delay(recall_id)


@dataclass(frozen=True)
class Counts:
    total: int
    recalled: int
    refused: int
    failed: int
    pending: int
    messages_recalled: int

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 100.0


def counts(recall: Recall) -> Counts:
    grouped = recall.tasks.values_list("status").annotate(n=Count("pk"), messages=Sum("messages")).order_by()
    by_status, messages_by_status = {}, {}
    for status, n, messages in grouped:
        by_status[status], messages_by_status[status] = n, messages
    return Counts(
        total=sum(by_status.values()),
        recalled=by_status.get(RecallTaskStatus.RECALLED, 0),
        refused=by_status.get(RecallTaskStatus.REFUSED, 0),
        failed=by_status.get(RecallTaskStatus.FAILED, 0),
        pending=by_status.get(RecallTaskStatus.PENDING, 0),
        messages_recalled=messages_by_status.get(RecallTaskStatus.RECALLED, 0),
    )


# --------------------------------------------------------------------------- the worker


def redrive(now: datetime | None = None) -> list[int]:
    """Queue again the recalls whose task was lost or whose worker died (the beat job)."""
    now = now or timezone.now()
    stuck = Recall.objects.filter(status=RecallStatus.QUEUED, created_at__lt=now - timedelta(minutes=1)) | (
        Recall.objects.filter(status=RecallStatus.RUNNING, lease_until__lt=now)
    )
    ids = list(stuck.values_list("pk", flat=True))
    for recall_id in ids:
        enqueue(recall_id)
    return ids


def _claim(recall_id: int) -> Recall | None:
    now = timezone.now()
    claimable = Q(status=RecallStatus.QUEUED) | Q(status=RecallStatus.RUNNING, lease_until__lt=now)
    if not Recall.objects.filter(claimable, pk=recall_id).update(status=RecallStatus.RUNNING, lease_until=now + LEASE):
        return None
    return Recall.objects.select_related("campaign__workspace", "requested_by").get(pk=recall_id)


def run(recall_id: int, *, sleep: Callable[[float], None] = time.sleep) -> Recall | None:
    """Recall every pending task of the recall, then finish it (idempotent: a second run finds nothing to do)."""
    recall = _claim(recall_id)
    if recall is None:
        return None
    workspace = recall.campaign.workspace
    try:
        client = clients.client_for(workspace)
    except Exception:  # an unusable endpoint or secret: nothing was called, every task stays unanswered
        logger.exception("recall %s: no client for workspace %s", recall_id, workspace.pk)
        RecallTask.objects.filter(recall=recall, status=RecallTaskStatus.PENDING).update(
            status=RecallTaskStatus.FAILED, message="The call to mPaaS could not be prepared; see the worker log."
        )
        return finish(recall)
    for task in list(recall.tasks.filter(status=RecallTaskStatus.PENDING)):
        _recall_task(recall, task, client, sleep)
        Recall.objects.filter(pk=recall.pk).update(lease_until=timezone.now() + LEASE)
    return finish(recall)


def _recall_task(recall: Recall, task: RecallTask, client: MpaasClient, sleep: Callable[[float], None]) -> None:
    workspace = recall.campaign.workspace
    request = RevokePushTaskRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        task_id=task.task_id,
        tenant_id=workspace.tenant_id or None,
    )
    outcome: errors.Outcome | None = None
    for attempt in range(MAX_TRIES):
        # The same shared pacing as the send path: a recall never pushes the workspace past its rate.
        _wait_for_slot(workspace.pk, workspace.calls_per_second, sleep)
        outcome = client.revoke_push_task(request).outcome
        if isinstance(outcome, errors.Accepted | errors.Rejected):
            break
        retry_after = getattr(outcome, "retry_after", None)
        sleep(retry_after if retry_after is not None else 0.5 * (attempt + 1))
    assert outcome is not None
    _record(recall, task, outcome)


def _wait_for_slot(workspace_id: int, calls_per_second: float, sleep: Callable[[float], None]) -> None:
    """Take one call slot of the workspace, sleeping until it comes (a wait past the bucket's
    horizon takes no slot, so it is asked for again once that much time has passed)."""
    wait = ratelimit.reserve(workspace_id, calls_per_second)
    while wait > ratelimit.MAX_WAIT_SECONDS:
        sleep(wait - ratelimit.MAX_WAIT_SECONDS)
        wait = ratelimit.reserve(workspace_id, calls_per_second)
    sleep(wait)


def _record(recall: Recall, task: RecallTask, outcome: errors.Outcome) -> None:
    if isinstance(outcome, errors.Accepted) or (
        isinstance(outcome, errors.Rejected) and ALREADY_RECALLED in (outcome.message or "")
    ):
        status, code, message = RecallTaskStatus.RECALLED, "", ""
    else:
        if isinstance(outcome, errors.Rejected):
            status, words = RecallTaskStatus.REFUSED, errors.in_plain_words(outcome) or "mPaaS refused the recall."
        else:
            status, words = RecallTaskStatus.FAILED, errors.in_plain_words(outcome)
        # mPaaS's own refusal text names the rule (too old, unknown task); it is kept short and never shown raw
        # elsewhere than on this recall's own page.
        code, message = outcome.code or "", f"{words} {outcome.message or ''}".strip()[:300]
    with transaction.atomic():
        RecallTask.objects.filter(pk=task.pk).update(
            status=status, code=code, message=message, request_id=(outcome.request_id or "")[:64]
        )
        if status == RecallTaskStatus.RECALLED:
            Message.objects.filter(
                campaign_id=recall.campaign_id, task_id=task.task_id, status=MessageStatus.ACCEPTED
            ).update(status=MessageStatus.RECALLED, result_message=RECALLED_NOTE, updated_at=timezone.now())


def finish(recall: Recall) -> Recall:
    """Close the recall: audit it, tell the campaign's author, and signal whoever listens."""
    from pushadmin.notifications.receivers import notify

    with transaction.atomic():
        done = Recall.objects.filter(pk=recall.pk, status=RecallStatus.RUNNING).update(
            status=RecallStatus.DONE, finished_at=timezone.now(), lease_until=None
        )
        if not done:
            return recall
        recall.refresh_from_db()
        figures = counts(recall)
        detail = {
            "recall": recall.pk,
            "reason": recall.reason,
            "tasks": figures.total,
            "recalled": figures.recalled,
            "refused": figures.refused,
            "failed": figures.failed,
            "messages_recalled": figures.messages_recalled,
        }
        campaign = recall.campaign
        trail.record(
            "campaign.recalled", actor=recall.requested_by, workspace=campaign.workspace, obj=campaign, detail=detail
        )
        notify(campaign, "campaign.recalled", recall.requested_by, detail)
        # In the closing transaction, so the webhook event exists exactly when the recall is done.
        campaign_data = {"id": campaign.pk, "name": campaign.name, "status": campaign.status}
        emit(campaign.workspace_id, "campaign.recall_done", {"campaign": campaign_data, **detail})
        transaction.on_commit(lambda: on_recall_finished(campaign, recall))
    return recall


def on_recall_finished(campaign: Campaign, recall: Recall) -> None:
    """Called once a recall has ended (after its commit): where outgoing webhooks announce "recall done"."""
    logger.info("recall %s of campaign %s finished", recall.pk, campaign.pk)
