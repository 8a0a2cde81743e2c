"""The send workflow: cut an approved campaign into batches, send each batch exactly once.

Exactly once towards mPaaS rests on four rules:

1. A message keeps its MsgKey for life; a retry re-signs (new nonce) but sends the same
   targets and MsgKeys, and only "resend failed only" makes new keys, in a new round.
2. A batch is claimed with one conditional UPDATE (status, lease, claim token) that is
   committed before the HTTP call; only the holder of the claim token may record the outcome.
3. Each call's outcome follows the reliability notes' table (`pushadmin.mpaas.errors`):
   accepted, rejected, retry later, or ambiguous (the workspace's policy decides).
4. The database drives everything: tasks carry ids only, and the sweeper re-drives
   whatever a lost task or a killed worker left behind.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, MissingDataPolicy
from pushadmin.delivery import clients, ratelimit, requests, scheduling
from pushadmin.delivery.models import Attempt, AttemptOutcome, Batch, BatchStatus, Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL
from pushadmin.workspaces.models import AmbiguousPolicy, Workspace

logger = logging.getLogger(__name__)

BATCH_SIZE = MAX_TARGETS_PER_CALL
# Failures that count towards the auto-pause; throttling is flow control, not a failure.
FAILURE_OUTCOMES = (AttemptOutcome.RETRYABLE, AttemptOutcome.AMBIGUOUS)
OPEN_BATCH = (BatchStatus.PENDING, BatchStatus.IN_FLIGHT)
# Beyond this many attempts a batch stops being retried and pauses its campaign.
MAX_ATTEMPTS_PER_BATCH = 40
# Rows cut into batches when a campaign starts; the rest follows in slices (see start_campaign).
FIRST_CUT_ROWS = 2000
CUT_SLICE_ROWS = 20_000


class OutgoingMessage(NamedTuple):
    """What the request builder and the outcome record read of a message.

    Loaded as plain rows: building a model instance for each of the 100 rows of every
    batch cost more than the rest of the load.
    """

    pk: int
    target: str
    msg_key: str
    values: Any
    extended_params: Any


def _lease() -> timedelta:
    return timedelta(seconds=settings.PUSHADMIN_SEND_LEASE_SECONDS)


# --------------------------------------------------------------------------- starting


def start_campaign(campaign_id: int, *, actor: Any = None) -> Campaign | None:
    """Approved or due scheduled campaign → sending.

    The first rows are cut into batches and enqueued in the transaction that starts the
    campaign, so the first call leaves at once however big the audience; the rest is cut
    by the `cut_batches` task, a slice per transaction, while the first batches are sent.
    """
    campaign = Campaign.objects.select_related("workspace", "template").get(pk=campaign_id)
    with transaction.atomic():
        try:
            campaign = transition(
                campaign,
                CampaignStatus.SENDING,
                action="campaign.sending_started",
                actor=actor,
                expected=[CampaignStatus.APPROVED, CampaignStatus.SCHEDULED],
                changes={"started_at": timezone.now(), "pause_reason": ""},
            )
        except TransitionRefused:
            logger.info("campaign %s was not startable any more", campaign_id)
            return None
        skipped = _skip_rows_missing_values(campaign)
        if skipped:
            trail.record(
                "delivery.rows_skipped",
                workspace=campaign.workspace,
                obj=campaign,
                detail={"skipped": skipped, "reason": "missing placeholder values (skip policy)"},
            )
        batch_ids, more = cut_next_rows(campaign, FIRST_CUT_ROWS)
        if not batch_ids and not more:
            transaction.on_commit(lambda: finish_if_done(campaign.pk))
    if more:
        # Ahead of the first batches, so cutting the rest runs while they are being sent
        # instead of waiting behind them in the queue.
        transaction.on_commit(lambda: enqueue_cutting(campaign.pk))
    transaction.on_commit(lambda: enqueue(batch_ids))
    return campaign


def enqueue_cutting(campaign_id: int) -> None:
    from pushadmin.delivery.tasks import cut_batches

    cut_batches.apply_async((campaign_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def cut_remaining(campaign_id: int) -> int:
    """Cut the rest of a started campaign, one committed slice at a time (the `cut_batches` task)."""
    cut = 0
    while True:
        with transaction.atomic():
            campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
            if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
                return cut
            batch_ids, more = cut_next_rows(campaign, CUT_SLICE_ROWS)
        enqueue(batch_ids)
        cut += len(batch_ids)
        if not more:
            finish_if_done(campaign_id)
            return cut


def cut_next_rows(campaign: Campaign, rows: int) -> tuple[list[int], bool]:
    """Make the next `rows` rows (by seq) still in draft pending, in batches; returns (batch ids, more left)."""
    drafts = Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT)
    first = drafts.order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return [], False
    # Whole batches only: batch k always holds rows (k-1)*100+1 … k*100.
    low = (first - 1) // BATCH_SIZE * BATCH_SIZE + 1
    high = low + (rows + BATCH_SIZE - 1) // BATCH_SIZE * BATCH_SIZE - 1
    in_range = drafts.filter(seq__gte=low, seq__lte=high)
    top = in_range.order_by("-seq").values_list("seq", flat=True).first() or low
    seqs = range((low - 1) // BATCH_SIZE + 1, (top - 1) // BATCH_SIZE + 2)
    now = timezone.now()
    Batch.objects.bulk_create(
        [Batch(campaign=campaign, seq=k, send_round=campaign.send_round, queued_at=now) for k in seqs],
        batch_size=2000,
        ignore_conflicts=True,
    )
    batch_of_row = Batch.objects.filter(
        campaign=campaign,
        send_round=campaign.send_round,
        seq=Cast((OuterRef("seq") - 1) / BATCH_SIZE, IntegerField()) + 1,
    ).values("pk")[:1]
    in_range.update(status=MessageStatus.PENDING, send_round=campaign.send_round, batch=Subquery(batch_of_row))
    batches = Batch.objects.filter(
        campaign=campaign, send_round=campaign.send_round, seq__in=list(seqs), status=BatchStatus.PENDING
    )
    # Batches whose rows were all skipped have nothing to send.
    filled = Message.objects.filter(
        campaign=campaign, status=MessageStatus.PENDING, seq__gte=low, seq__lte=high
    ).values("batch")
    batches.exclude(pk__in=filled).update(status=BatchStatus.DONE)
    batch_ids = list(batches.filter(status=BatchStatus.PENDING).order_by("seq").values_list("pk", flat=True))
    return batch_ids, drafts.filter(seq__gt=high).exists()


def _skip_rows_missing_values(campaign: Campaign) -> int:
    if campaign.missing_policy != MissingDataPolicy.SKIP:
        return 0
    missing: list[int] = []
    rows = Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).values_list("pk", "values")
    for pk, values in rows.iterator(chunk_size=5000):
        if requests.missing_values(campaign, values):
            missing.append(pk)
    for start in range(0, len(missing), 500):
        Message.objects.filter(pk__in=missing[start : start + 500]).update(
            status=MessageStatus.SKIPPED, result_message="Skipped: a placeholder value is missing."
        )
    return len(missing)


def cut_rows(campaign: Campaign, message_ids: Sequence[int]) -> list[int]:
    """Batches for an arbitrary set of rows (a resend round)."""
    now = timezone.now()
    batch_ids = []
    for number, start in enumerate(range(0, len(message_ids), BATCH_SIZE), start=1):
        batch = Batch.objects.create(campaign=campaign, seq=number, send_round=campaign.send_round, queued_at=now)
        Message.objects.filter(pk__in=message_ids[start : start + BATCH_SIZE]).update(batch=batch)
        batch_ids.append(batch.pk)
    return batch_ids


def enqueue(batch_ids: Iterable[int], countdown: float | None = None) -> None:
    from pushadmin.delivery.tasks import send_batch

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # One producer (broker connection) for the whole list instead of one per task.
    with send_batch.app.producer_or_acquire() as producer:
        for batch_id in batch_ids:
            send_batch.apply_async((batch_id,), countdown=countdown, queue=queue, producer=producer)


# --------------------------------------------------------------------------- one batch


def send_batch(batch_id: int) -> str:
    """Claim, send and record one batch. Returns what happened, for logs and tests."""
    token = str(uuid.uuid4())
    now = timezone.now()
    claimed = (
        Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING, campaign__status=CampaignStatus.SENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=BatchStatus.IN_FLIGHT,
            lease_until=now + _lease(),
            claim_token=token,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if claimed != 1:
        return "not claimable"
    batch = Batch.objects.select_related("campaign__workspace", "campaign__template").get(pk=batch_id)
    campaign = batch.campaign
    workspace = campaign.workspace
    rows = (
        Message.objects.filter(batch=batch, status__in=[MessageStatus.PENDING, MessageStatus.IN_FLIGHT])
        .order_by("seq")
        .values_list(*OutgoingMessage._fields)
    )
    messages = [OutgoingMessage(*row) for row in rows]
    if not messages:
        Batch.objects.filter(pk=batch_id, claim_token=token).update(status=BatchStatus.DONE, lease_until=None)
        finish_if_done(campaign.pk)
        return "empty"
    try:
        request = requests.build_request(campaign, messages)
        client = clients.client_for(workspace)
    except Exception as exc:  # e.g. an unusable endpoint or an unreadable secret: nothing was sent
        logger.exception("batch %s could not be prepared", batch_id)
        with transaction.atomic():
            _release(batch_id, token, delay=0)
            _auto_pause(campaign, f"The call to mPaaS could not be prepared ({type(exc).__name__}: {exc})")
        return "not prepared"
    wait = ratelimit.reserve(workspace.pk, workspace.calls_per_second)
    if wait > ratelimit.MAX_WAIT_SECONDS:
        _release(batch_id, token, delay=wait)
        return "rate limited"
    if wait:
        time.sleep(wait)
    result = client.push_multiple(request)
    return _record(batch, token, messages, result, workspace)


def _release(batch_id: int, token: str, *, delay: float) -> None:
    """Give the claim back unsent (no call was made), to be tried again after `delay`."""
    when = timezone.now() + timedelta(seconds=delay)
    Batch.objects.filter(pk=batch_id, claim_token=token).update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        attempts=F("attempts") - 1,
        next_attempt_at=when,
        queued_at=timezone.now(),
    )
    transaction.on_commit(lambda: enqueue([batch_id], countdown=delay))


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the server's Retry-After.

    Both are capped: a countdown longer than the broker's visibility timeout makes Redis
    redeliver the task again and again while it waits.
    """
    base = settings.PUSHADMIN_SEND_BACKOFF_BASE_MS / 1000
    cap = settings.PUSHADMIN_SEND_BACKOFF_CAP_MS / 1000
    delay = random.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))
    return min(max(delay, retry_after or 0.0), cap)


def _record(batch: Batch, token: str, messages: list[OutgoingMessage], result: Any, workspace: Workspace) -> str:
    outcome = result.outcome
    attempt = result.attempt
    campaign = batch.campaign
    kind = _attempt_outcome(outcome)
    if kind == AttemptOutcome.AMBIGUOUS and workspace.ambiguous_policy == AmbiguousPolicy.RESEND:
        treat_as = AttemptOutcome.RETRYABLE
    else:
        treat_as = kind
    now = timezone.now()
    ids = [m.pk for m in messages]
    code = getattr(outcome, "code", None) or getattr(outcome, "result_code", None) or ""
    meaning = getattr(outcome, "meaning", "") or errors.meaning_of(code)
    message_text = (getattr(outcome, "message", None) or attempt.error or "")[:300]
    settles = treat_as in (AttemptOutcome.ACCEPTED, AttemptOutcome.REJECTED, AttemptOutcome.AMBIGUOUS)
    row = Attempt(
        batch=batch,
        campaign=campaign,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
        http_status=attempt.http_status,
        outcome=kind,
        code=code[:64],
        message=message_text,
        request_id=(outcome.request_id or "")[:64],
        settled=len(ids) if settles else 0,
    )
    mine = Batch.objects.filter(pk=batch.pk, claim_token=token, status=BatchStatus.IN_FLIGHT)
    if not settles:
        with transaction.atomic():
            row.save()
            return _schedule_retry(batch, mine, outcome, kind, meaning, code, workspace, now)
    final = {
        AttemptOutcome.ACCEPTED: MessageStatus.ACCEPTED,
        AttemptOutcome.REJECTED: MessageStatus.REJECTED,
        AttemptOutcome.AMBIGUOUS: MessageStatus.UNKNOWN,
    }[treat_as]
    try:
        with transaction.atomic():
            # The audit chain's lock is taken before any row lock, as a cancel or a pause
            # does (campaign row, then chain): the other order deadlocks on PostgreSQL.
            trail.record(
                "delivery.batch_sent",
                workspace=workspace,
                obj=campaign,
                detail={
                    "batch": batch.seq,
                    "round": batch.send_round,
                    "outcome": final,
                    "request_id": outcome.request_id,
                    "messages": len(ids),
                    "code": code,
                    "attempts": batch.attempts + 1,
                },
            )
            if mine.update(status=BatchStatus.DONE, lease_until=None, updated_at=now) != 1:
                raise ClaimLost
            Message.objects.filter(pk__in=ids).update(
                status=final,
                request_id=(outcome.request_id or "")[:64],
                task_id=(getattr(outcome, "push_result_data", None) or "")[:64],
                result_code=code[:64],
                result_message=(meaning if final != MessageStatus.ACCEPTED else "")[:300],
                updated_at=now,
            )
            row.save()
    except ClaimLost:
        logger.error("batch %s: claim lost before its outcome was recorded", batch.pk)
        row.settled = 0
        row.save()
        return "claim lost"
    finish_if_done(campaign.pk)
    return str(treat_as)


class ClaimLost(Exception):
    """The batch's lease expired and the sweeper took it back while this worker was calling."""


def _schedule_retry(
    batch: Batch,
    mine: Any,
    outcome: Any,
    kind: str,
    meaning: str,
    code: str,
    workspace: Workspace,
    now: Any,
) -> str:
    delay = _retry_delay(batch, outcome, kind, workspace)
    back = mine.update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        next_attempt_at=now + timedelta(seconds=delay),
        queued_at=now,
        updated_at=now,
    )
    if back != 1:
        return "claim lost"
    reason = _pause_reason(batch.campaign, batch, outcome, kind, meaning, code)
    if reason:
        _auto_pause(batch.campaign, reason)
    else:
        transaction.on_commit(lambda: enqueue([batch.pk], countdown=delay))
    return str(kind)


def _attempt_outcome(outcome: errors.Outcome) -> str:
    if isinstance(outcome, errors.Accepted):
        return AttemptOutcome.ACCEPTED
    if isinstance(outcome, errors.Rejected):
        return AttemptOutcome.CONFIG_ERROR if outcome.config_error else AttemptOutcome.REJECTED
    if isinstance(outcome, errors.Retryable):
        if outcome.client_bug:
            logger.error("mPaaS reported a reused nonce; retrying with a fresh one")
        return AttemptOutcome.THROTTLED if outcome.reason == errors.THROTTLED else AttemptOutcome.RETRYABLE
    return AttemptOutcome.AMBIGUOUS


def _retry_delay(batch: Batch, outcome: errors.Outcome, kind: str, workspace: Workspace) -> float:
    if kind == AttemptOutcome.CONFIG_ERROR:
        return 0.0
    delay = backoff_seconds(batch.attempts + 1, getattr(outcome, "retry_after", None))
    if kind == AttemptOutcome.THROTTLED:
        # Everyone sending for this workspace backs off, not just this batch.
        ratelimit.hold_off(workspace.pk, min(delay, ratelimit.MAX_WAIT_SECONDS))
    return delay


def _pause_reason(campaign: Campaign, batch: Batch, outcome: Any, kind: str, meaning: str, code: str) -> str:
    if kind == AttemptOutcome.CONFIG_ERROR:
        return f"mPaaS refused the credentials or settings ({code}): {meaning or outcome.message}"
    if batch.attempts + 1 >= MAX_ATTEMPTS_PER_BATCH:
        return f"Batch {batch.seq} failed {batch.attempts + 1} times; last error {code or kind}: {meaning}"
    if kind not in FAILURE_OUTCOMES:
        return ""
    limit = settings.PUSHADMIN_AUTO_PAUSE_AFTER
    recent = list(
        Attempt.objects.filter(campaign=campaign)
        .exclude(outcome=AttemptOutcome.THROTTLED)
        .order_by("-started_at", "-pk")
        .values_list("outcome", flat=True)[:limit]
    )
    if len(recent) >= limit and all(o in FAILURE_OUTCOMES for o in recent):
        detail = meaning or getattr(outcome, "message", "") or kind
        return f"{limit} calls in a row failed; last error {code or kind}: {detail}"
    return ""


def _auto_pause(campaign: Campaign, reason: str) -> None:
    with contextlib.suppress(TransitionRefused):
        transition(
            campaign,
            CampaignStatus.PAUSED,
            action="campaign.auto_paused",
            expected=[CampaignStatus.SENDING],
            changes={"pause_reason": reason[:300]},
            detail={"reason": reason},
        )


# --------------------------------------------------------------------------- finishing


def finish_if_done(campaign_id: int) -> Campaign | None:
    """When no batch of a sending campaign is open any more, it becomes sent, partly sent or failed."""
    if Batch.objects.filter(campaign_id=campaign_id, status__in=OPEN_BATCH).exists():
        return None
    if Message.objects.filter(campaign_id=campaign_id, status=MessageStatus.DRAFT).exists():
        return None  # not all cut into batches yet
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return None
    counts = message_counts(campaign_id)
    sent = counts.get(MessageStatus.ACCEPTED, 0)
    failed = sum(counts.get(s, 0) for s in (MessageStatus.REJECTED, MessageStatus.UNKNOWN))
    to = CampaignStatus.SENT if not failed else CampaignStatus.PARTLY_SENT if sent else CampaignStatus.FAILED
    to = scheduling.status_once_all_sent(campaign, to)
    try:
        return transition(
            campaign,
            to,
            action=f"campaign.{to}",
            expected=[CampaignStatus.SENDING],
            detail={"counts": {str(k): v for k, v in counts.items()}},
        )
    except TransitionRefused:
        return None


def message_counts(campaign_id: int) -> dict[str, int]:
    rows = Message.objects.filter(campaign_id=campaign_id).values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}
