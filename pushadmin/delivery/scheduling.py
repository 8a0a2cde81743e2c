"""Fixed-time and loop campaigns: registered on mPaaS, or held here and sent at the time.

mPaaS can hold a scheduled (StrategyType 1) or loop (2) push itself, which keeps working
when pushadmin is down, but each PushMultiple call becomes one scheduled task and an app may
have at most 100 that have not run yet. So a campaign whose batches fit in what is left is
registered on mPaaS; a bigger fixed-time campaign is held in the database and the sweeper
starts it when it is due. A loop cannot be held here (each occurrence would need new
MsgKeys), so a loop too big for mPaaS is refused with the reason.

A campaign registered on mPaaS has sent all its calls but nothing has reached a phone yet,
so once every call is answered it waits in SCHEDULED (with `started_at` set, which a held
campaign never has) and can still be cancelled through CancelPushScheduler; when its last
fire time has passed the sweeper gives it the outcome of its calls (sent, partly sent or
failed).

This module decides and asks mPaaS; starting, scheduling and the start of a held campaign at
its time are `dispatch`'s, and ending a campaign whose tasks have fired is `finishing`'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import FIXED, IMMEDIATE, LOOP, Strategy, strategy_content, summary
from pushadmin.console import recorded_reasons as reasons
from pushadmin.delivery import clients
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.request_types import CancelPushSchedulerRequest, QueryPushSchedulerListRequest
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL, MAX_UNEXECUTED_SCHEDULED_TASKS

logger = logging.getLogger(__name__)

ON_MPAAS = "mpaas"
HELD_LOCALLY = "local"
REFUSED = "refused"
WAITING_FOR_ROOM = "waiting"
MPAAS_UNEXECUTED_LIMIT = MAX_UNEXECUTED_SCHEDULED_TASKS
# QueryPushSchedulerList filters by fire time (a loop's is the start of its window); this
# many days either side of now covers every loop mPaaS accepts.
SCHEDULE_HORIZON_DAYS = 181
# Task ids per CancelPushScheduler call.
CANCEL_CHUNK = 50
# A fixed time closer than this went out as an immediate push (see requests.FIXED_TIME_MARGIN_MS).
FIRE_MARGIN = timedelta(minutes=1)
# Campaigns that may hold tasks on mPaaS that have not run yet.
MAY_HOLD_TASKS = (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED)


def strategy_kind(campaign: Campaign) -> str:
    """ "immediate", "fixed" or "loop" (see pushadmin.campaigns.strategy)."""
    return Strategy.from_json(campaign.strategy).type


def fire_time(campaign: Campaign) -> datetime | None:
    """When a fixed-time campaign is due (loops: the start of their window)."""
    content = strategy_content(Strategy.from_json(campaign.strategy))
    if content is None:
        return None
    millis = content.fixed_time if content.fixed_time is not None else content.start_time
    return None if millis is None else datetime.fromtimestamp(millis / 1000, tz=UTC)


def last_fire_time(campaign: Campaign) -> datetime | None:
    """When mPaaS has run a campaign's tasks: its fixed time, or 24:00 of a loop's last day."""
    strategy = Strategy.from_json(campaign.strategy)
    if strategy.type == FIXED:
        return fire_time(campaign)
    if strategy.type != LOOP:
        return None
    try:
        last_day = date.fromisoformat(strategy.end_date)
    except (TypeError, ValueError):
        return None
    return datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=strategy.zone)


def registered_campaigns() -> QuerySet[Campaign]:
    """Campaigns whose calls are all answered and whose tasks mPaaS holds (they were started)."""
    return Campaign.objects.filter(status=CampaignStatus.SCHEDULED, started_at__isnull=False)


def registered_on_mpaas(campaign: Campaign) -> bool:
    return campaign.registered_on_mpaas


def _accepted_with_task_id(campaign_ids: Sequence[int] | QuerySet[Any]) -> QuerySet[Message]:
    """Messages whose scheduled task may still be waiting on mPaaS."""
    return Message.objects.filter(campaign_id__in=campaign_ids, status=MessageStatus.ACCEPTED).exclude(task_id="")


def batches_needed(campaign: Campaign) -> int:
    rows = Message.objects.filter(campaign=campaign).exclude(status=MessageStatus.SKIPPED).count()
    return (rows + MAX_TARGETS_PER_CALL - 1) // MAX_TARGETS_PER_CALL


def unexecuted_known_locally(campaign: Campaign, now: datetime | None = None) -> int:
    """Tasks the workspace's other campaigns registered on mPaaS that have not run yet, by pushadmin's records.

    The fallback when QueryPushSchedulerList cannot be asked: distinct task ids of accepted
    messages of fixed-time and loop campaigns that are being registered or wait on mPaaS,
    and whose last fire time (a loop: the end of its window) has not passed.
    """
    now = now or timezone.now()
    candidates = (
        Campaign.objects.filter(workspace_id=campaign.workspace_id, status__in=MAY_HOLD_TASKS)
        .filter(strategy__type__in=[FIXED, LOOP])
        .exclude(pk=campaign.pk)
        .only("pk", "strategy")
    )
    waiting = [c.pk for c in candidates if (last := last_fire_time(c)) is not None and last > now]
    if not waiting:
        return 0
    return _accepted_with_task_id(waiting).values("task_id").distinct().count()


def scheduling_plan(campaign: Campaign, *, unexecuted: int | None = None) -> tuple[str, str]:
    """How a campaign will be sent and why, in words for the builder and the reviewer (in their language);
    the two reasons an approved campaign keeps while it waits (refused, waiting for room) are in English,
    as it stores them, for `recorded_reasons.readable` to show."""
    kind = strategy_kind(campaign)
    if kind == IMMEDIATE:
        return IMMEDIATE, _("Sent as soon as it is approved.")
    if registered_on_mpaas(campaign):
        return ON_MPAAS, registered_description(campaign)
    if campaign.status == CampaignStatus.SCHEDULED:
        return HELD_LOCALLY, _(
            "Held by pushadmin, whose workers send it %(when)s: it did not fit in the %(limit)s unexecuted tasks "
            "mPaaS allows when it was approved."
        ) % {"when": summary(Strategy.from_json(campaign.strategy)), "limit": MPAAS_UNEXECUTED_LIMIT}
    needed = batches_needed(campaign)
    taken = unexecuted_known_locally(campaign) if unexecuted is None else unexecuted
    room = MPAAS_UNEXECUTED_LIMIT - taken
    if needed <= room:
        return ON_MPAAS, ngettext(
            "Registered on mPaaS as %(needed)s scheduled task (%(taken)s of the %(limit)s unexecuted tasks mPaaS "
            "allows are already taken), so it fires even if pushadmin is down; cancelling it cancels them on mPaaS.",
            "Registered on mPaaS as %(needed)s scheduled tasks (%(taken)s of the %(limit)s unexecuted tasks mPaaS "
            "allows are already taken), so it fires even if pushadmin is down; cancelling it cancels them on mPaaS.",
            needed,
        ) % {"needed": needed, "taken": taken, "limit": MPAAS_UNEXECUTED_LIMIT}
    if kind == LOOP and needed > MPAAS_UNEXECUTED_LIMIT:
        return REFUSED, reasons.written(
            reasons.LOOP_TOO_BIG,
            needed=needed,
            limit=MPAAS_UNEXECUTED_LIMIT,
            targets=f"{MPAAS_UNEXECUTED_LIMIT * MAX_TARGETS_PER_CALL:,}",
        )
    if kind == LOOP:
        return WAITING_FOR_ROOM, reasons.written(
            reasons.LOOP_WAITING_FOR_ROOM, needed=needed, free=max(room, 0), limit=MPAAS_UNEXECUTED_LIMIT
        )
    return HELD_LOCALLY, _(
        "It needs %(needed)s scheduled tasks but mPaaS allows %(limit)s unexecuted ones (%(taken)s taken), so "
        "pushadmin holds it and its workers send it at the time."
    ) % {"needed": needed, "limit": MPAAS_UNEXECUTED_LIMIT, "taken": taken}


def registered_description(campaign: Campaign) -> str:
    """What the campaign page says of a campaign waiting on mPaaS."""
    tasks = _accepted_with_task_id([campaign.pk]).values("task_id").distinct().count()
    when = summary(Strategy.from_json(campaign.strategy))
    return ngettext(
        "Scheduled on mPaaS as %(tasks)s task: it fires %(when)s. "
        "mPaaS sends it even if pushadmin is down; cancelling the campaign cancels its tasks there.",
        "Scheduled on mPaaS as %(tasks)s tasks: it fires %(when)s. "
        "mPaaS sends it even if pushadmin is down; cancelling the campaign cancels its tasks there.",
        tasks,
    ) % {"tasks": tasks, "when": when}


def count_unexecuted_on_mpaas(campaign: Campaign) -> int:
    """Ask mPaaS how many scheduled tasks of this app have not run yet (QueryPushSchedulerList)."""
    workspace = campaign.workspace
    now_ms = int(time.time() * 1000)
    horizon_ms = SCHEDULE_HORIZON_DAYS * 24 * 3600 * 1000
    result = clients.client_for(workspace).query_push_scheduler_list(
        QueryPushSchedulerListRequest(
            app_id=workspace.app_id,
            workspace_id=workspace.mpaas_workspace_id,
            # A loop's fire time is the start of its window, which may be long past while it runs.
            start_time=now_ms - horizon_ms,
            end_time=now_ms + horizon_ms,
            page_size=500,
        )
    )
    outcome = result.outcome
    if not isinstance(outcome, errors.Accepted):
        raise RuntimeError(f"QueryPushSchedulerList failed: {getattr(outcome, 'code', '')} {outcome}")
    data: dict[str, Any] = (outcome.body.get("ResultContent") or {}).get("Data") or {}
    return sum(1 for task in data.get("List") or [] if str(task.get("ExecutedStatus")) == "0")


def status_once_all_sent(campaign: Campaign, outcome_status: str) -> str:
    """The status a campaign takes when all its batches have an outcome (`outcome_status` says how they went).

    A campaign whose tasks wait on mPaaS is scheduled, not sent: it can still be cancelled
    there, and the sweeper gives it `outcome_status` once its last fire time has passed.
    """
    if strategy_kind(campaign) == IMMEDIATE:
        return outcome_status
    last = last_fire_time(campaign)
    if last is None or last <= timezone.now() + FIRE_MARGIN:
        return outcome_status  # it went out as an immediate push, or mPaaS has run it already
    if not _accepted_with_task_id([campaign.pk]).exists():
        return outcome_status  # nothing of it was accepted, so nothing waits on mPaaS
    return CampaignStatus.SCHEDULED


# --------------------------------------------------------------------------- cancelling on mPaaS


@dataclass(frozen=True)
class RefusedTask:
    task_id: str
    code: str
    meaning: str

    def as_text(self) -> str:
        return f"{self.task_id} ({self.code}: {self.meaning})" if self.code else f"{self.task_id} ({self.meaning})"


@dataclass
class MpaasCancellation:
    """What CancelPushScheduler did with a campaign's tasks."""

    cancelled: list[str] = field(default_factory=list)
    refused: list[RefusedTask] = field(default_factory=list)
    # Why the remaining tasks could not be cancelled (the call failed); empty when every task had an answer.
    failure: str = ""
    remaining: list[str] = field(default_factory=list)

    @property
    def asked(self) -> bool:
        return bool(self.cancelled or self.refused or self.failure)

    @property
    def nothing_cancelled(self) -> bool:
        """Tasks wait on mPaaS and none could be cancelled now."""
        return not self.cancelled and bool(self.refused or self.failure)

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "mpaas_cancelled": self.cancelled,
            "mpaas_refused": [{"task_id": r.task_id, "code": r.code, "meaning": r.meaning} for r in self.refused],
        }
        if self.failure:
            detail["mpaas_error"] = self.failure
            detail["mpaas_not_cancelled"] = self.remaining
        return detail

    def summary(self) -> str:
        """One paragraph for the person who cancelled, as specific as what mPaaS said."""
        parts = []
        if self.cancelled:
            count = len(self.cancelled)
            parts.append(_stored(reasons.CANCELLED_ONE, reasons.CANCELLED_MANY, count))
        if self.refused:
            listed = "; ".join(r.as_text() for r in self.refused[:3])
            more = f"; … (+{len(self.refused) - 3})" if len(self.refused) > 3 else ""
            count = len(self.refused)
            parts.append(_stored(reasons.REFUSED_ONE, reasons.REFUSED_MANY, count, tasks=listed + more))
        if self.failure:
            count = len(self.remaining)
            parts.append(_stored(reasons.CANCEL_FAILED_ONE, reasons.CANCEL_FAILED_MANY, count, why=self.failure))
        return " ".join(parts)


def _stored(one: str, many: str, count: int, **values: object) -> str:
    """In English, as the campaign keeps it (`recorded_reasons.readable` shows it in the reader's language)."""
    return reasons.written(one, **values) if count == 1 else reasons.written(many, count=count, **values)


def _failure_text(outcome: errors.Outcome) -> str:
    code = getattr(outcome, "code", None) or ""
    words = errors.in_plain_words(outcome) or getattr(outcome, "reason", "")
    text = " ".join(part for part in (f"{code}:" if code else "", words) if part)
    return text.strip() or type(outcome).__name__


def cancel_on_mpaas(campaign: Campaign, *, request: Any = None) -> MpaasCancellation:
    """Cancel the scheduled tasks a campaign registered on mPaaS (CancelPushScheduler).

    Each call that mPaaS accepts marks the messages of its tasks cancelled and is audited in
    the same transaction, so a later attempt only asks for the tasks still waiting. mPaaS
    refuses a call as a whole when one of its tasks cannot be cancelled (already run,
    unknown), so a refused call is repeated task by task to learn which. A call that fails
    (throttled, server error, no answer, wrong credentials) stops here: the rest wait.
    """
    result = MpaasCancellation()
    if strategy_kind(campaign) == IMMEDIATE:
        return result
    ids = sorted(set(_accepted_with_task_id([campaign.pk]).values_list("task_id", flat=True)))
    if not ids:
        return result
    workspace = campaign.workspace
    try:
        client = clients.client_for(workspace)
    except Exception as exc:  # e.g. an unreadable stored secret: nothing was asked
        logger.exception("no mPaaS client for workspace %s", workspace.pk)
        result.failure = f"the call could not be prepared ({clients.why_not_built(exc)})."
        result.remaining = ids
        return result

    def ask(task_ids: list[str]) -> errors.Outcome:
        return client.cancel_push_scheduler(
            CancelPushSchedulerRequest(
                app_id=workspace.app_id,
                workspace_id=workspace.mpaas_workspace_id,
                unique_ids=task_ids,
                tenant_id=workspace.tenant_id or None,
            )
        ).outcome

    queue = [ids[start : start + CANCEL_CHUNK] for start in range(0, len(ids), CANCEL_CHUNK)]
    while queue:
        chunk = queue.pop(0)
        outcome = ask(chunk)
        if isinstance(outcome, errors.Accepted):
            mark_cancelled(campaign, chunk, outcome.request_id or "", request=request)
            result.cancelled.extend(chunk)
        elif isinstance(outcome, errors.Rejected) and not outcome.config_error:
            if len(chunk) > 1:
                queue[:0] = [[task_id] for task_id in chunk]
                continue
            code = outcome.code or ""
            result.refused.append(RefusedTask(chunk[0], code, errors.in_plain_words(outcome)))
        else:
            result.failure = _failure_text(outcome)
            result.remaining = [task_id for rest in (chunk, *queue) for task_id in rest]
            logger.error("CancelPushScheduler failed for campaign %s: %s", campaign.pk, outcome)
            break
    return result


def mark_cancelled(campaign: Campaign, task_ids: list[str], request_id: str, *, request: Any) -> None:
    with transaction.atomic():
        trail.record(
            "delivery.mpaas_tasks_cancelled",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"task_ids": task_ids, "request_id": request_id},
        )
        _accepted_with_task_id([campaign.pk]).filter(task_id__in=task_ids).update(
            status=MessageStatus.CANCELLED,
            result_message="Cancelled on mPaaS before its scheduled task ran.",
            updated_at=timezone.now(),
        )
