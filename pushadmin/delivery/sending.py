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
import functools
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns import payload, rendering
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, MissingDataPolicy
from pushadmin.campaigns.strategy import IMMEDIATE
from pushadmin.console import recorded_reasons
from pushadmin.delivery import (
    call_window,
    clients,
    culprits,
    membership,
    ratelimit,
    requests,
    row_outcomes,
    scheduling,
)
from pushadmin.delivery.models import Attempt, AttemptOutcome, Batch, BatchStatus, Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.client import DEFAULT_CONNECT_TIMEOUT
from pushadmin.mpaas.endpoints import NOT_ALLOWED_HOST
from pushadmin.operations import log_context, metrics
from pushadmin.safety import holding, quiet
from pushadmin.workspaces.models import AmbiguousPolicy, Workspace

logger = logging.getLogger(__name__)

BATCH_SIZE = membership.BATCH_SIZE
# Failures that count towards the auto-pause; throttling is flow control, not a failure.
FAILURE_OUTCOMES = (AttemptOutcome.RETRYABLE, AttemptOutcome.AMBIGUOUS)
OPEN_BATCH = (BatchStatus.PENDING, BatchStatus.CLAIMED, BatchStatus.IN_FLIGHT)
HELD_BATCH = (BatchStatus.CLAIMED, BatchStatus.IN_FLIGHT)
# What a group's batches answer when quiet hours stopped them before any call.
QUIET_HOURS = "quiet hours"
# The result of a call answered after its lease ran out, whose answer was still recorded.
LATE_OUTCOME = "late outcome recorded"
# What a call that registered its batch's task on mPaaS (a fixed-time or loop push) left as its result.
REGISTERED = frozenset({str(AttemptOutcome.ACCEPTED), LATE_OUTCOME})
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
        skipped = _skip_unsendable_rows(campaign)
        if skipped:
            trail.record(
                "delivery.rows_skipped",
                workspace=campaign.workspace,
                obj=campaign,
                detail={"skipped": skipped, "reason": "missing placeholder values or too long (skip policy)"},
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


def enqueue_resend_cutting(campaign_id: int) -> None:
    from pushadmin.delivery.tasks import cut_resend_round

    cut_resend_round.apply_async((campaign_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


# How the record of a row mPaaS refused on its own starts: sent again unchanged, it would be refused again.
CULPRIT_NOTE = "Refused for this row's own content"


def refused_for_own_content() -> Q:
    return Q(result_code__in=errors.ROW_CAUSED_CODES, result_message__startswith=CULPRIT_NOTE)


def rejected_before_this_round(campaign: Campaign) -> QuerySet[Message]:
    """Rejected rows a resend round has still to take (rows rejected in this round stay as they are,
    and so do rows refused for their own content, which would only be refused again)."""
    return Message.objects.filter(
        campaign=campaign, status=MessageStatus.REJECTED, send_round__lt=campaign.send_round
    ).exclude(refused_for_own_content())


def cut_remaining(campaign_id: int) -> int:
    """Cut the rest of a started campaign, one committed slice at a time (the `cut_batches` task).

    Each slice is planned (read) before its transaction, which then only writes batch rows: on
    SQLite, whose one write lock the sending workers need too, the lock is held for milliseconds.
    """
    cut = 0
    while True:
        slice_ = plan_cut(campaign_id, CUT_SLICE_ROWS)
        with transaction.atomic():
            campaign = Campaign.objects.get(pk=campaign_id)
            if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
                return cut
            batch_ids = make_batches(campaign, slice_.numbers)
        enqueue(batch_ids)
        cut += len(batch_ids)
        if not slice_.more:
            finish_if_done(campaign_id)
            return cut


class CutSlice(NamedTuple):
    numbers: list[int]  # first-round batches to make
    more: bool  # rows left to cut after them


def cut_next_rows(campaign: Campaign, rows: int) -> tuple[list[int], bool]:
    """Cut the next `rows` rows (by seq) of the first round into batches; returns (batch ids, more left)."""
    slice_ = plan_cut(campaign.pk, rows)
    return make_batches(campaign, slice_.numbers), slice_.more


def plan_cut(campaign_id: int, rows: int) -> CutSlice:
    """Which batches the next `rows` rows (by seq) of the first round make.

    Only batch rows are written for them: a first-round batch holds its rows by number (see
    `membership`). Batches whose rows were all skipped would have nothing to send: none is made.
    """
    first = membership.first_uncut_seq(campaign_id)
    if first is None:
        return CutSlice([], False)
    # Whole batches only: batch k always holds rows (k-1)*100+1 … k*100.
    low = membership.seq_range(membership.batch_number_of(first))[0]
    high = low + (rows + BATCH_SIZE - 1) // BATCH_SIZE * BATCH_SIZE - 1
    numbers = membership.draft_batch_numbers(campaign_id, low, high)
    return CutSlice(numbers, membership.first_draft_after(campaign_id, high) is not None)


def make_batches(campaign: Campaign, numbers: list[int]) -> list[int]:
    """The first-round batches of these numbers, pending (made unless another cut made them); their ids.

    Their suppressed and capped rows are held back first, so a batch never carries them.
    """
    hold_back_rows(campaign, numbers)
    now = timezone.now()
    Batch.objects.bulk_create(
        [Batch(campaign=campaign, seq=k, send_round=membership.FIRST_ROUND, queued_at=now) for k in numbers],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return list(
        Batch.objects.filter(
            campaign=campaign, send_round=membership.FIRST_ROUND, seq__in=numbers, status=BatchStatus.PENDING
        )
        .order_by("seq")
        .values_list("pk", flat=True)
    )


def hold_back_rows(campaign: Campaign, numbers: list[int]) -> dict[str, int]:
    """The safety nets over the unsent rows of these first-round batches: one UPDATE per rule."""
    if not numbers:
        return {}
    rows = Message.objects.filter(membership.in_first_round(campaign.pk, numbers), status=MessageStatus.DRAFT)
    return holding.hold_back(campaign, campaign.workspace, rows)


def _skip_unsendable_rows(campaign: Campaign) -> int:
    """Under the skip policy, mark the rows that cannot go out as skipped, each with its reason."""
    if campaign.missing_policy != MissingDataPolicy.SKIP:
        return 0
    by_reason: dict[str, list[int]] = {}
    template = campaign.template
    names = rendering.template_placeholders(template.title, template.content)  # once, not once a row
    rows = Message.objects.filter(campaign=campaign, status=MessageStatus.DRAFT).values_list("pk", "values")
    for pk, values in rows.iterator(chunk_size=5000):
        reason = payload.skip_reason(campaign, values, names)
        if reason:
            by_reason.setdefault(reason, []).append(pk)
    for reason, pks in by_reason.items():
        for start in range(0, len(pks), 500):
            Message.objects.filter(pk__in=pks[start : start + 500]).update(
                status=MessageStatus.SKIPPED, result_message=reason[:300]
            )
    return sum(map(len, by_reason.values()))


def enqueue(batch_ids: Iterable[int], countdown: float | None = None) -> None:
    """Put the batches on the broker, `PUSHADMIN_SEND_GROUP_BATCHES` to a task."""
    from pushadmin.delivery.tasks import send_batches

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    ids = list(batch_ids)
    size = settings.PUSHADMIN_SEND_GROUP_BATCHES
    # One producer (broker connection) for the whole list instead of one per task.
    with send_batches.app.producer_or_acquire() as producer:
        for start in range(0, len(ids), size):
            # Celery takes countdown=None as "no delay"; celery-types declares a float only.
            send_batches.apply_async(
                (ids[start : start + size],),
                countdown=countdown,  # type: ignore[arg-type]
                queue=queue,
                producer=producer,
            )


# --------------------------------------------------------------------------- a group of batches


class ClaimedBatch(NamedTuple):
    batch: Batch
    messages: list[OutgoingMessage]


class SentBatch(NamedTuple):
    """One call and the rows it settles (a batch split to find its culprit rows makes several)."""

    batch: Batch
    messages: list[OutgoingMessage]
    result: Any
    attempt_only: bool = False  # a call whose answer settles none of these rows (split again): recorded, no more
    rows_only: bool = False  # rows that keep the answer of a call recorded with other rows (no attempt of its own)


def send_batch(batch_id: int) -> str:
    """Claim, send and record one batch. Returns what happened, for logs and tests."""
    return send_batches([batch_id])[batch_id]


def send_batches(batch_ids: Sequence[int]) -> dict[int, str]:
    """Claim, send and record a group of batches; returns what happened to each, for logs and tests.

    One conditional UPDATE claims them all, committed before the first call; the calls go out
    one after the other on the workspace's kept-open connection, a step of calls at a time,
    each step recorded in one transaction (one audit entry, one UPDATE per outcome). A group
    stops early, giving its unsent batches back, when a call gets no definite answer
    (throttled, failed, unknown, or refused for the workspace's settings), the campaign stops
    sending, or the group runs long.
    """
    deadline = time.monotonic() + _group_budget_seconds()
    results = {batch_id: "not claimable" for batch_id in batch_ids}
    token = str(uuid.uuid4())
    claimed = _claim(batch_ids, token)
    by_campaign: dict[int, list[Batch]] = {}
    for batch in claimed:
        by_campaign.setdefault(batch.campaign_id, []).append(batch)
    for batches in by_campaign.values():
        campaign = batches[0].campaign
        with log_context.bound(workspace_id=campaign.workspace_id, campaign_id=campaign.pk, batch_id=None):
            results.update(_send_for_campaign(batches, token, deadline))
    return results


def _claim(batch_ids: Sequence[int], token: str) -> list[Batch]:
    now = timezone.now()
    claimed = (
        # No join in this UPDATE: with one, Django moves every condition into a subquery, and
        # PostgreSQL would then not re-check `status` on a row another worker claimed meanwhile.
        Batch.objects.filter(
            pk__in=batch_ids,
            status=BatchStatus.PENDING,
            campaign_id__in=Campaign.objects.filter(status=CampaignStatus.SENDING).values("pk"),
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=BatchStatus.CLAIMED,
            lease_until=now + _lease(),
            claim_token=token,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return []
    return list(
        Batch.objects.filter(pk__in=batch_ids, claim_token=token)
        .select_related("campaign__workspace", "campaign__template")
        .order_by("campaign_id", "send_round", "seq")
    )


def _load_messages(batches: list[Batch]) -> list[ClaimedBatch]:
    # By batch (seq ranges, or the batch reference) only, so those indexes are used whatever the
    # planner's statistics say; a status filter in SQL can send PostgreSQL through the
    # campaign-wide status index instead.
    query = (
        Message.objects.filter(membership.in_batches(batches))
        .order_by()
        .values_list("batch_id", "seq", "send_round", "status", *OutgoingMessage._fields)
    )
    by_key: dict[Any, Batch] = {b.pk: b for b in batches}
    by_key.update((("first", b.seq), b) for b in batches if b.send_round == membership.FIRST_ROUND)
    grouped: dict[int, list[tuple[int, OutgoingMessage]]] = {b.pk: [] for b in batches}
    for batch_id, seq, send_round, status, pk, target, msg_key, values, extended_params in _plain_rows(query):
        batch = membership.batch_of_row(seq, send_round, batch_id, by_key)
        if batch is not None and status in membership.OPEN_ROWS:
            message = OutgoingMessage(pk, target, msg_key, _json(values), _json(extended_params))
            grouped[batch.pk].append((seq, message))
    return [ClaimedBatch(b, [m for _, m in sorted(grouped[b.pk])]) for b in batches]


def _plain_rows(query: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The query's rows as the database driver returns them: Django's per-value converters cost
    more than the query itself for a group's 2,000 rows (JSON columns are decoded by the caller)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _json(value: Any) -> Any:
    """A JSON column's value as `JSONField` reads it (both backends hand the text over)."""
    return json.loads(value) if isinstance(value, str) else value


def _send_for_campaign(batches: list[Batch], token: str, deadline: float) -> dict[int, str]:
    """Send a campaign's claimed batches a few calls at a time, recording each step as it ends.

    Before its calls, a step's batches go from claimed to in flight (committed, and only while
    the campaign is still sending); the transaction that records a step also marks the next.
    So a worker that dies leaves at most one step's calls in doubt, and its claimed batches that
    were never called go back to pending without ambiguity.
    """
    campaign = batches[0].campaign
    workspace = campaign.workspace
    if quiet.holds(campaign):
        # No call starts in the workspace's quiet hours: the campaign waits, paused, for them to end.
        quiet.pause_for_quiet_hours(campaign)
        return _give_back([ClaimedBatch(b, []) for b in batches], token, delay=0, why=QUIET_HOURS)
    results: dict[int, str] = {}
    loaded = _load_messages(batches)
    empty = [c.batch.pk for c in loaded if not c.messages]
    if empty:
        Batch.objects.filter(pk__in=empty, claim_token=token).update(status=BatchStatus.DONE, lease_until=None)
        results.update(dict.fromkeys(empty, "empty"))
    to_send = [c for c in loaded if c.messages]
    if not to_send:
        finish_if_done(campaign.pk)
        return results
    try:
        client = clients.client_for(workspace)
    except Exception as exc:  # e.g. an unusable endpoint or an unreadable secret: nothing was sent
        return results | _not_prepared(campaign, to_send, token, exc)
    slots = ratelimit.Slots(workspace.pk, workspace.calls_per_second, len(to_send))
    # Calls between two recording transactions: also how many a killed worker can leave in doubt.
    per_step = settings.PUSHADMIN_SEND_CALLS_PER_STEP
    with transaction.atomic():
        # Under the chain's lock, as later markings are (in `_record`): a pause or a cancel
        # then comes wholly before or wholly after it, never between its check and its update.
        trail.lock_chain()
        marked = _mark_calling(to_send[:per_step], token)
    position = 0
    while position < len(to_send):
        if not marked:
            results.update(_give_back(to_send[position:], token, delay=0, why="campaign no longer sending"))
            break
        step = to_send[position : position + per_step]
        called = _call_step(campaign, client, slots, step, token, deadline, first=position == 0)
        position += len(step)
        following = [] if called.stopped else to_send[position : position + per_step]
        if called.sent:
            recorded, marked = _record(campaign, workspace, token, called.sent, mark_next=following)
            results.update(recorded)
            if LATE_OUTCOME in recorded.values():
                correct_ended(campaign.pk)
        results.update(called.given_back)
        if called.stopped:
            results.update(_give_back(to_send[position:], token, delay=0, why="given back"))
            break
    slots.give_back_unused()
    finish_if_done(campaign.pk)
    if scheduling.strategy_kind(campaign) != IMMEDIATE and REGISTERED.intersection(results.values()):
        from pushadmin.delivery.controls import cancel_late_registrations

        cancel_late_registrations(campaign.pk)
    return results


class StepCalls(NamedTuple):
    sent: list[SentBatch]
    given_back: dict[int, str]
    stopped: bool  # the rest of the group waits for another task


def _call_step(
    campaign: Campaign,
    client: Any,
    slots: ratelimit.Slots,
    step: list[ClaimedBatch],
    token: str,
    deadline: float,
    *,
    first: bool,
) -> StepCalls:
    """Make a step's calls, up to the window's number at once (see `call_window`), each started at its rate
    slot; stop starting calls at the first answer that is not definite.

    Before each call but the step's first (whose marking just checked it), the campaign must still
    be sending: a pause or cancel committed meanwhile lets no new call start, and the step's
    batches not called go back unsent (pending, or cancelled with their campaign). Calls already
    on their way finish and are recorded.
    """

    def call(request: Any) -> Any:
        with metrics.call_in_flight():
            return client.push_multiple(request)

    window: call_window.CallWindow[Any, Any] = call_window.CallWindow(
        call, window_size(campaign.workspace, len(step)), lambda result: not _answered(result.outcome)
    )
    stop: tuple[int, Callable[[list[ClaimedBatch]], dict[int, str]]] | None = None
    for index, claimed_batch in enumerate(step):
        if window.saw_trouble():
            # Something is wrong (throttling, errors, settings): the rest waits for another task.
            stop = (index, lambda rest: _give_back(rest, token, delay=0, why="given back"))
            break
        if not (first and index == 0) and time.monotonic() > deadline:
            stop = (index, lambda rest: _give_back(rest, token, delay=0, why="given back"))
            break
        log_context.note(batch_id=claimed_batch.batch.pk)
        try:
            request = requests.build_request(campaign, claimed_batch.messages, batch=claimed_batch.batch)
        except Exception as exc:
            stop = (index, functools.partial(_not_prepared, campaign, token=token, exc=exc))
            break
        wait = slots.wait_for_next()
        if wait is None:
            stop = (index, lambda rest: _give_back(rest, token, delay=slots.retry_in, why="rate limited"))
            break
        if wait:
            time.sleep(wait)
        window.wait_for_room()
        # Checked last, just before the call leaves: a pause that committed while this call waited for
        # its rate slot or for room in the window stops it too.
        if index and not _still_sending(campaign.pk):
            stop = (index, lambda rest: _give_back(rest, token, delay=0, why="campaign no longer sending"))
            break
        window.submit(index, request)
    answers = window.finish()
    sent: list[SentBatch] = []
    for index in sorted(answers):
        claimed_batch, result = step[index], answers[index]
        # Looking for culprit rows takes more calls: not while the gateway is throttling or failing.
        if errors.is_row_caused(result.outcome) and len(claimed_batch.messages) > 1 and not window.trouble:
            sent.extend(_split_to_culprits(campaign, client, slots, claimed_batch, result, deadline))
        else:
            sent.append(SentBatch(claimed_batch.batch, claimed_batch.messages, result))
    given_back = stop[1](step[stop[0] :]) if stop else {}
    return StepCalls(sent, given_back, stopped=stop is not None or window.trouble)


def window_size(workspace: Workspace, calls: int) -> int:
    """Calls one worker keeps in flight: the setting, no more than the step's calls, nor than the workspace's
    calls per second (a window wider than the rate would only wait for slots)."""
    return max(1, min(settings.PUSHADMIN_SEND_WINDOW, calls, int(workspace.calls_per_second)))


def _split_to_culprits(
    campaign: Campaign,
    client: Any,
    slots: ratelimit.Slots,
    claimed_batch: ClaimedBatch,
    refusal: Any,
    deadline: float,
) -> list[SentBatch]:
    """A call refused for a reason one row can cause: find those rows (see `culprits`), so the rest is sent."""
    workspace = campaign.workspace

    def call(piece: Sequence[OutgoingMessage]) -> Any:
        if time.monotonic() > deadline or not _still_sending(campaign.pk):
            return None
        wait = slots.wait_for_next()
        if wait is None:
            return None
        if wait:
            time.sleep(wait)
        with metrics.call_in_flight():
            return client.push_multiple(requests.build_request(campaign, list(piece), batch=claimed_batch.batch))

    found = culprits.isolate(
        claimed_batch.messages,
        refusal,
        call,
        splits_again=lambda result: errors.is_row_caused(result.outcome),
        stands=lambda result: _outcome_of(result, workspace).settles,
    )
    batch = claimed_batch.batch
    logger.info("batch %s: %s more calls to isolate the rows mPaaS refused", batch.pk, len(found.calls))
    # A settled piece answered by its own call carries that call's attempt; a piece that kept the answer
    # of a bigger piece's call carries none; a call that settled no piece of its own is an attempt only.
    calls = {(id(rows), id(result)) for rows, result in found.calls}
    own = {(id(rows), id(answer)) for rows, answer in found.settled} & calls
    sent = [SentBatch(batch, claimed_batch.messages, refusal, attempt_only=True)]  # the first, refused call
    sent += [
        SentBatch(batch, rows, result, attempt_only=True)
        for rows, result in found.calls
        if (id(rows), id(result)) not in own
    ]
    sent += [
        SentBatch(batch, rows, answer, rows_only=(id(rows), id(answer)) not in own) for rows, answer in found.settled
    ]
    return sent


def _still_sending(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists()


def _answered(outcome: errors.Outcome) -> bool:
    """A definite answer about this call's messages (accepted, or rejected for their own sake)."""
    if isinstance(outcome, errors.Rejected):
        return not outcome.config_error
    return isinstance(outcome, errors.Accepted)


def _mark_calling(step: list[ClaimedBatch], token: str) -> bool:
    """Claimed → in flight for the batches about to be called, only while their campaign is sending."""
    ids = [c.batch.pk for c in step]
    still_sending = Campaign.objects.filter(pk=step[0].batch.campaign_id, status=CampaignStatus.SENDING)
    marked = Batch.objects.filter(
        pk__in=ids, claim_token=token, status=BatchStatus.CLAIMED, campaign_id__in=still_sending.values("pk")
    ).update(status=BatchStatus.IN_FLIGHT, lease_until=timezone.now() + _lease())
    return marked == len(ids)


def _group_budget_seconds() -> float:
    """How long a task may keep starting calls: its time limit less the longest single call and
    a tenth of the lease for recording the last step (which may wait for the audit chain)."""
    longest_call = DEFAULT_CONNECT_TIMEOUT + settings.PUSHADMIN_SEND_HTTP_TIMEOUT + ratelimit.MAX_WAIT_SECONDS
    lease = settings.PUSHADMIN_SEND_LEASE_SECONDS
    return lease * 3 // 4 - longest_call - lease / 10


def _not_prepared(campaign: Campaign, unsent: list[ClaimedBatch], token: str, exc: Exception) -> dict[int, str]:
    logger.exception("batches %s could not be prepared", [c.batch.pk for c in unsent])
    with transaction.atomic():
        _auto_pause(campaign, _preparation_failure(exc), PAUSED_UNPREPARED)
        return _give_back(unsent, token, delay=0, why="not prepared")


def _preparation_failure(exc: Exception) -> str:
    """The pause reason when no call could be made; the exception's own text stays in the log."""
    why = clients.why_not_built(exc)
    if why == NOT_ALLOWED_HOST:
        return recorded_reasons.written(recorded_reasons.HOST_NOT_ALLOWED, why=why)
    return recorded_reasons.written(recorded_reasons.NOT_PREPARED, why=why)


def _give_back(unsent: list[ClaimedBatch], token: str, *, delay: float, why: str) -> dict[int, str]:
    """Give claims back unsent (no call was made), to be tried again after `delay`."""
    if not unsent:
        return {}
    now = timezone.now()
    ids = [c.batch.pk for c in unsent]
    mine = Batch.objects.filter(pk__in=ids, claim_token=token, status__in=HELD_BATCH)
    back = list(mine.values_list("pk", flat=True))
    Batch.objects.filter(pk__in=back, claim_token=token, status__in=HELD_BATCH).update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        attempts=F("attempts") - 1,
        next_attempt_at=now + timedelta(seconds=delay),
        queued_at=now,
    )
    if back and Campaign.objects.filter(pk=unsent[0].batch.campaign_id, status=CampaignStatus.CANCELLED).exists():
        cancel_pending_batches(back)
    else:
        transaction.on_commit(lambda: enqueue(back, countdown=delay or None))
    return dict.fromkeys(ids, why)


CANCELLED_UNSENT = "Cancelled before it was sent."


def cancel_pending_batches(batch_ids: Iterable[int]) -> list[int]:
    """Pending batches of a cancelled campaign, and their unsent rows, become cancelled; returns which."""
    done = []
    for batch in Batch.objects.filter(pk__in=list(batch_ids)).order_by("pk"):
        with transaction.atomic():
            now = timezone.now()
            if not Batch.objects.filter(pk=batch.pk, status=BatchStatus.PENDING).update(
                status=BatchStatus.CANCELLED, updated_at=now
            ):
                continue
            membership.rows_of(batch).filter(status__in=membership.OPEN_ROWS).update(
                status=MessageStatus.CANCELLED, result_message=CANCELLED_UNSENT, updated_at=now
            )
            done.append(batch.pk)
    return done


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the server's Retry-After.

    Both are capped: a countdown longer than the broker's visibility timeout makes Redis
    redeliver the task again and again while it waits.
    """
    base = settings.PUSHADMIN_SEND_BACKOFF_BASE_MS / 1000
    cap = settings.PUSHADMIN_SEND_BACKOFF_CAP_MS / 1000
    delay = random.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))
    return min(max(delay, retry_after or 0.0), cap)


class Outcome(NamedTuple):
    """How one call went, in the words the records use."""

    kind: str  # what the call's outcome was (AttemptOutcome)
    treat_as: str  # what is done about it (the ambiguous policy may turn AMBIGUOUS into RETRYABLE)
    code: str
    meaning: str
    message: str

    @property
    def settles(self) -> bool:
        return self.treat_as in (AttemptOutcome.ACCEPTED, AttemptOutcome.REJECTED, AttemptOutcome.AMBIGUOUS)

    @property
    def final(self) -> str:
        statuses: dict[str, str] = {
            AttemptOutcome.ACCEPTED: MessageStatus.ACCEPTED,
            AttemptOutcome.REJECTED: MessageStatus.REJECTED,
            AttemptOutcome.AMBIGUOUS: MessageStatus.UNKNOWN,
        }
        return statuses[self.treat_as]


def _outcome_of(result: Any, workspace: Workspace) -> Outcome:
    outcome = result.outcome
    kind = _attempt_outcome(outcome)
    treat_as = kind
    if kind == AttemptOutcome.AMBIGUOUS and workspace.ambiguous_policy == AmbiguousPolicy.RESEND:
        treat_as = AttemptOutcome.RETRYABLE
    code = getattr(outcome, "code", None) or getattr(outcome, "result_code", None) or ""
    meaning = getattr(outcome, "meaning", "") or errors.meaning_of(code)
    message_text = (getattr(outcome, "message", None) or result.attempt.error or "")[:300]
    return Outcome(kind, treat_as, code[:64], meaning, message_text)


def _record(
    campaign: Campaign, workspace: Workspace, token: str, sent: list[SentBatch], *, mark_next: list[ClaimedBatch]
) -> tuple[dict[int, str], bool]:
    """Record a step's calls in one transaction (attempts, batch and message states, one audit entry)
    and mark the next step's batches as being called; returns the results and whether they were marked."""
    outcomes = [_outcome_of(s.result, workspace) for s in sent]
    _count_calls(sent, outcomes)
    settling = [(s, o) for s, o in zip(sent, outcomes, strict=True) if o.settles and not s.attempt_only]
    results: dict[int, str] = {}
    with transaction.atomic():
        # The audit chain's lock before any row lock (an attempt row's foreign keys lock its
        # campaign and batch too), as a cancel or a pause does: the other order deadlocks on
        # PostgreSQL. Taken even when nothing settles, since a retry may auto-pause.
        trail.lock_chain()
        if settling:
            trail.record(
                "delivery.batches_sent",
                workspace=workspace,
                obj=campaign,
                detail=_sent_detail(settling),
            )
        held = row_outcomes.settle_held_batches([s.batch.pk for s, _ in settling], token)
        late = {s.batch.pk: _record_late(s, o) for s, o in settling if s.batch.pk not in held}
        results.update((pk, LATE_OUTCOME if n else "claim lost") for pk, n in late.items())
        Attempt.objects.bulk_create(
            _attempt_row(s, o, settled=_settled_by(s, held, late))
            for s, o in zip(sent, outcomes, strict=True)
            if not s.rows_only
        )
        done = [(s, o) for s, o in settling if s.batch.pk in held]
        finals = Counter[str]()
        for s, o in settling:
            finals[o.final] += len(s.messages) if s.batch.pk in held else late.get(s.batch.pk, 0)
        transaction.on_commit(partial(_count_messages, finals))
        if done:
            _record_messages(done)
            results.update((s.batch.pk, str(o.treat_as)) for s, o in done)
        for s, o in zip(sent, outcomes, strict=True):
            if not o.settles and not s.attempt_only:
                results[s.batch.pk] = _schedule_retry(s, o, token, workspace)
        marked = _mark_calling(mark_next, token) if mark_next else True
    return results, marked


def _count_calls(sent: list[SentBatch], outcomes: list[Outcome]) -> None:
    """Every call made, counted whatever its recording does: the calls happened."""
    for s, o in zip(sent, outcomes, strict=True):
        if not s.rows_only:
            attempt = s.result.attempt
            metrics.record_call(
                o.kind, o.code, answered=attempt.http_status is not None, seconds=attempt.duration_ms / 1000
            )


def _count_messages(finals: Counter[str]) -> None:
    for state, count in finals.items():
        metrics.record_messages(state, count)
    metrics.record_unknown("ambiguous_answer", finals[MessageStatus.UNKNOWN])


def _settled_by(sent: SentBatch, held: set[int], late: dict[int, int]) -> int:
    if sent.attempt_only:
        return 0
    return len(sent.messages) if sent.batch.pk in held else late.get(sent.batch.pk, 0)


def _sent_detail(settling: list[tuple[SentBatch, Outcome]]) -> dict[str, Any]:
    return {
        "messages": sum(len(s.messages) for s, _ in settling),
        "batches": [
            {
                "batch": s.batch.seq,
                "round": s.batch.send_round,
                "outcome": o.final,
                "request_id": s.result.outcome.request_id,
                "messages": len(s.messages),
                "code": o.code,
                "attempts": s.batch.attempts,
            }
            for s, o in settling
        ],
    }


def _record_late(sent: SentBatch, outcome: Outcome) -> int:
    """The outcome of a call whose lease expired before it was recorded: keep what it tells.

    The sweeper has already taken the batch back. Under "mark unknown" its messages became
    unknown; a definite answer (accepted or rejected) replaces that. Under "resend" the batch
    went back to pending; if no worker has claimed it again, the answer settles it and the
    resend (a possible duplicate) never happens. Returns how many messages it settled.
    """
    if outcome.treat_as == AttemptOutcome.AMBIGUOUS:
        logger.error("batch %s: claim lost before its outcome was recorded", sent.batch.pk)
        return 0
    ids = [m.pk for m in sent.messages]
    rescued = Batch.objects.filter(pk=sent.batch.pk, status=BatchStatus.PENDING, claim_token="").update(
        status=BatchStatus.DONE, lease_until=None, updated_at=timezone.now()
    )
    if rescued:
        rows = Message.objects.filter(pk__in=ids, status__in=membership.OPEN_ROWS)
    else:
        rows = Message.objects.filter(pk__in=ids, status=MessageStatus.UNKNOWN, result_code=WORKER_LOST)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        logger.error("batch %s: claim lost and already sent again; outcome kept in its attempt", sent.batch.pk)
        return 0
    _record_messages([(sent, outcome)], only=ids)
    logger.warning("batch %s: answer came after its lease expired: %s now %s", sent.batch.pk, len(ids), outcome.final)
    return len(ids)


WORKER_LOST = "WorkerLost"


def _attempt_row(sent: SentBatch, outcome: Outcome, *, settled: int) -> Attempt:
    attempt = sent.result.attempt
    return Attempt(
        batch=sent.batch,
        campaign_id=sent.batch.campaign_id,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
        http_status=attempt.http_status,
        outcome=outcome.kind,
        code=outcome.code,
        message=outcome.message,
        request_id=(sent.result.outcome.request_id or "")[:64],
        settled=settled if outcome.settles else 0,
    )


def _record_messages(done: list[tuple[SentBatch, Outcome]], *, only: Sequence[int] | None = None) -> None:
    """One UPDATE per final state and code; each batch's RequestId and task id picked by batch.

    The rows are those the calls sent, or `only` these of them.
    """
    now = timezone.now()
    # A batch split into several calls has an answer per call: each such call is written on its
    # own, since one UPDATE picks the RequestId by batch.
    calls_per_batch = Counter(s.batch.pk for s, _ in done)
    by_state: dict[tuple[str, str, str, int], list[SentBatch]] = {}
    for index, (s, o) in enumerate(done):
        text = o.meaning if o.final != MessageStatus.ACCEPTED else ""
        if (
            o.final == MessageStatus.REJECTED
            and len(s.messages) == 1
            and not s.rows_only
            and errors.is_row_caused(s.result.outcome)
        ):
            text = f"{CULPRIT_NOTE}: {text}"
        apart = index if calls_per_batch[s.batch.pk] > 1 else -1
        by_state.setdefault((o.final, o.code, text[:300], apart), []).append(s)
    for (final, code, text, _apart), group in by_state.items():
        answers = [
            row_outcomes.BatchAnswer(
                s.batch,
                (s.result.outcome.request_id or "")[:64],
                (getattr(s.result.outcome, "push_result_data", None) or "")[:64],
            )
            for s in group
        ]
        pks = only if only is not None else [m.pk for s in group for m in s.messages]
        row_outcomes.write(pks, answers, status=final, code=code, text=text, now=now)


def _schedule_retry(sent: SentBatch, outcome: Outcome, token: str, workspace: Workspace) -> str:
    batch = sent.batch
    now = timezone.now()
    delay = _retry_delay(batch, sent.result.outcome, outcome.kind, workspace)
    back = Batch.objects.filter(pk=batch.pk, claim_token=token, status=BatchStatus.IN_FLIGHT).update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        next_attempt_at=now + timedelta(seconds=delay),
        queued_at=now,
        updated_at=now,
    )
    if back != 1:
        return "claim lost"
    cause, reason = _pause_reason(batch.campaign, batch, sent.result.outcome, outcome.kind, outcome.code)
    if reason:
        _auto_pause(batch.campaign, reason, cause)
    else:
        transaction.on_commit(lambda: enqueue([batch.pk], countdown=delay))
    return str(outcome.kind)


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
    delay = backoff_seconds(batch.attempts, getattr(outcome, "retry_after", None))
    if kind == AttemptOutcome.THROTTLED:
        # Everyone sending for this workspace backs off, not just this batch.
        ratelimit.hold_off(workspace.pk, min(delay, ratelimit.MAX_WAIT_SECONDS))
    return delay


# Why a campaign paused itself, as the auto-pause metric counts it.
PAUSED_FOR_SETTINGS = "settings_refused"
PAUSED_FOR_ATTEMPTS = "batch_attempts"
PAUSED_FOR_FAILURES = "consecutive_failures"
PAUSED_UNPREPARED = "not_prepared"


def _pause_reason(campaign: Campaign, batch: Batch, outcome: errors.Outcome, kind: str, code: str) -> tuple[str, str]:
    """(cause, reason): the reason is shown to people on the progress page, in our words for the
    failure, never the remote's text; empty when the campaign goes on."""
    words = errors.in_plain_words(outcome)
    if kind == AttemptOutcome.CONFIG_ERROR:
        why = words or recorded_reasons.SEE_THE_CALLS
        return PAUSED_FOR_SETTINGS, recorded_reasons.written(recorded_reasons.SETTINGS_REFUSED, code=code, why=why)
    if batch.attempts >= MAX_ATTEMPTS_PER_BATCH:
        return (
            PAUSED_FOR_ATTEMPTS,
            recorded_reasons.written(
                recorded_reasons.BATCH_GAVE_UP, seq=batch.seq, attempts=batch.attempts, code=code or kind, why=words
            ),
        )
    if kind not in FAILURE_OUTCOMES:
        return "", ""
    limit = settings.PUSHADMIN_AUTO_PAUSE_AFTER
    recent = list(
        Attempt.objects.filter(campaign=campaign)
        .exclude(outcome=AttemptOutcome.THROTTLED)
        .order_by("-started_at", "-pk")
        .values_list("outcome", flat=True)[:limit]
    )
    if len(recent) >= limit and all(o in FAILURE_OUTCOMES for o in recent):
        return PAUSED_FOR_FAILURES, recorded_reasons.written(
            recorded_reasons.FAILED_IN_A_ROW, limit=limit, code=code or kind, why=words or kind
        )
    return "", ""


def _auto_pause(campaign: Campaign, reason: str, cause: str) -> None:
    with contextlib.suppress(TransitionRefused):
        transition(
            campaign,
            CampaignStatus.PAUSED,
            action="campaign.auto_paused",
            expected=[CampaignStatus.SENDING],
            changes={"pause_reason": reason[:300]},
            detail={"reason": reason},
        )
        transaction.on_commit(partial(metrics.record_auto_pause, cause))


# --------------------------------------------------------------------------- finishing


def finish_if_done(campaign_id: int) -> Campaign | None:
    """When no batch of a sending campaign is open any more, it becomes sent, partly sent or failed.

    Rows still to cut are looked for before open batches: a cut turns rows into open batches
    in one transaction, so seeing neither in this order means there is nothing left to send.
    (An open batch seen first only ends the look early: "not yet" is always safe to answer.)
    """
    open_batches = Batch.objects.filter(campaign_id=campaign_id, status__in=OPEN_BATCH)
    if open_batches.exists():
        return None
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return None
    if membership.first_uncut_seq(campaign_id) is not None:
        return None  # not all cut into batches yet
    if campaign.send_round > 1 and rejected_before_this_round(campaign).exists():
        return None  # a resend round not all cut into batches yet
    if open_batches.exists():
        return None
    counts = message_counts(campaign_id)
    to = scheduling.status_once_all_sent(campaign, scheduling.outcome_status(counts))
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


LATE_ANSWER = "mPaaS's answer to a call whose lease had expired came in after the campaign ended"


def correct_ended(campaign_id: int, reason: str = LATE_ANSWER) -> Campaign | None:
    """An ended campaign whose unknown messages got their answer late takes the status its messages now say."""
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status not in (CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED):
        return None
    counts = message_counts(campaign_id)
    to = scheduling.outcome_status(counts)
    if to == campaign.status:
        return None
    try:
        return transition(
            campaign,
            to,
            action="campaign.outcome_corrected",
            expected=[campaign.status],
            detail={
                "counts": {str(k): v for k, v in counts.items()},
                "reason": reason,
            },
        )
    except TransitionRefused:
        return None


def message_counts(campaign_id: int) -> dict[str, int]:
    rows = Message.objects.filter(campaign_id=campaign_id).values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}
