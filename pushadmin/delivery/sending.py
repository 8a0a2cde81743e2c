"""Sending a group of claimed batches: claim, call, record, a step of calls at a time.

Exactly once towards mPaaS rests on four rules:

1. A message keeps its MsgKey for life; a retry re-signs (new nonce) but sends the same
   targets and MsgKeys, and only "resend failed only" makes new keys, in a new round.
2. A batch is claimed with one conditional UPDATE (status, lease, claim token) that is
   committed before the HTTP call, and marked in flight by another just before its call leaves
   (so only a batch whose call may have been made is ever in doubt); only the holder of the
   claim token may record the outcome.
3. Each call's outcome follows the reliability notes' table (`pushadmin.mpaas.errors`):
   accepted, rejected, retry later, or ambiguous (the workspace's policy decides, see `verdicts`).
4. The database drives everything: tasks carry ids only, and the sweeper re-drives
   whatever a lost task or a killed worker left behind.

The rest of the engine has a module each: `cutting` makes the batches, `batch_state` moves
them from state to state, `row_outcomes` writes the answers onto the rows, `verdicts` says
what an answer means, `finishing` ends the campaign, and `queueing` puts work on the broker.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import IMMEDIATE
from pushadmin.console import recorded_reasons
from pushadmin.delivery import (
    batch_state,
    call_window,
    clients,
    controls,
    culprits,
    finishing,
    membership,
    queueing,
    ratelimit,
    requests,
    rounds,
    row_outcomes,
    scheduling,
    verdicts,
)
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.client import DEFAULT_CONNECT_TIMEOUT
from pushadmin.mpaas.endpoints import NOT_ALLOWED_HOST
from pushadmin.operations import log_context, metrics
from pushadmin.safety import quiet
from pushadmin.workspaces.models import Workspace

logger = logging.getLogger(__name__)

# What a group's batches answer when quiet hours stopped them before any call.
QUIET_HOURS = "quiet hours"
# The result of a call answered after its lease ran out, whose answer was still recorded.
LATE_OUTCOME = "late outcome recorded"
# What a call that registered its batch's task on mPaaS (a fixed-time or loop push) left as its result.
REGISTERED = frozenset({str(AttemptResult.ACCEPTED), LATE_OUTCOME})


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

    One conditional UPDATE claims them all, committed before the first call; each batch is marked in
    flight just before its call leaves. The calls go out on the workspace's kept-open connection, a
    step of calls at a time, each step recorded in one transaction (one audit entry, one UPDATE per
    outcome). A group stops early, giving its unsent batches back, when a call gets no definite
    answer (throttled, failed, unknown, or refused for the workspace's settings), the campaign
    stops sending, or the group runs long.
    """
    deadline = time.monotonic() + _group_budget_seconds()
    results = {batch_id: "not claimable" for batch_id in batch_ids}
    token = str(uuid.uuid4())
    claimed = batch_state.claim(batch_ids, token)
    by_campaign: dict[int, list[Batch]] = {}
    for batch in claimed:
        by_campaign.setdefault(batch.campaign_id, []).append(batch)
    for batches in by_campaign.values():
        campaign = batches[0].campaign
        with log_context.bound(workspace_id=campaign.workspace_id, campaign_id=campaign.pk, batch_id=None):
            results.update(_send_for_campaign(batches, token, deadline))
    return results


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

    A batch goes from claimed to in flight (committed, and only while the campaign is still
    sending) just before its call is handed to the window, so a worker that dies leaves in doubt
    only the calls it had started and not yet recorded: those of its current step, of which at most
    the window's are still on their way. Its claimed batches whose calls had not started go back to
    pending without ambiguity, and are sent later with the same MsgKeys.
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
        batch_state.close_empty(empty, token)
        results.update(dict.fromkeys(empty, "empty"))
    to_send = [c for c in loaded if c.messages]
    if not to_send:
        finishing.finish_if_done(campaign.pk)
        return results
    try:
        client = clients.client_for(workspace)
    except Exception as exc:  # e.g. an unusable endpoint or an unreadable secret: nothing was sent
        return results | _not_prepared(campaign, to_send, token, exc)
    slots = ratelimit.Slots(workspace.pk, workspace.calls_per_second, len(to_send))
    # Calls between two recording transactions: also the most this process can leave in doubt if killed.
    per_step = settings.PUSHADMIN_SEND_CALLS_PER_STEP
    position = 0
    while position < len(to_send):
        step = to_send[position : position + per_step]
        called = _call_step(campaign, client, slots, step, token, deadline, first=position == 0)
        position += len(step)
        if called.sent:
            recorded = _record(campaign, workspace, token, called.sent)
            results.update(recorded)
            if LATE_OUTCOME in recorded.values():
                finishing.correct_ended(campaign.pk)
        results.update(called.given_back)
        if called.stopped:
            results.update(_give_back(to_send[position:], token, delay=0, why="given back"))
            break
    slots.give_back_unused()
    finishing.finish_if_done(campaign.pk)
    if scheduling.strategy_kind(campaign) != IMMEDIATE and REGISTERED.intersection(results.values()):
        controls.cancel_late_registrations(campaign.pk)
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

    Just before each call is handed to the window, its batch is marked in flight, which it is only
    while the campaign is still sending: a pause or cancel committed meanwhile lets no new call
    start, and the step's batches not called go back unsent (pending, or cancelled with their
    campaign). Calls already on their way finish and are recorded.
    """

    def call(request: Any) -> Any:
        with metrics.call_in_flight():
            return client.push_multiple(request)

    window: call_window.CallWindow[Any, Any] = call_window.CallWindow(
        call, window_size(campaign.workspace, len(step)), lambda result: not verdicts.answered(result.outcome)
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
        # Marked last, just before the call leaves: a batch is in doubt only once its call may have
        # been made, and a pause that committed while this call waited for its rate slot or for room
        # in the window stops it too (as does a claim the sweeper took back meanwhile).
        if not batch_state.mark_calling(claimed_batch.batch.pk, campaign.pk, token):
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
        stands=lambda result: verdicts.verdict_of(result, workspace).settles,
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


def _group_budget_seconds() -> float:
    """How long a task may keep starting calls: its time limit less the longest single call and
    a tenth of the lease for recording the last step (which may wait for the audit chain)."""
    longest_call = DEFAULT_CONNECT_TIMEOUT + settings.PUSHADMIN_SEND_HTTP_TIMEOUT + ratelimit.MAX_WAIT_SECONDS
    lease = settings.PUSHADMIN_SEND_LEASE_SECONDS
    return lease * 3 // 4 - longest_call - lease / 10


def _not_prepared(campaign: Campaign, unsent: list[ClaimedBatch], token: str, exc: Exception) -> dict[int, str]:
    logger.exception("batches %s could not be prepared", [c.batch.pk for c in unsent])
    with transaction.atomic():
        _auto_pause(campaign, _preparation_failure(exc), verdicts.PAUSED_UNPREPARED)
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
    ids = [c.batch.pk for c in unsent]
    batch_state.give_back(ids, unsent[0].batch.campaign_id, token, delay=delay)
    return dict.fromkeys(ids, why)


def _record(campaign: Campaign, workspace: Workspace, token: str, sent: list[SentBatch]) -> dict[int, str]:
    """Record a step's calls in one transaction (attempts, batch and message states, one audit entry)."""
    judged = [verdicts.verdict_of(s.result, workspace) for s in sent]
    _count_calls(sent, judged)
    settling = [(s, o) for s, o in zip(sent, judged, strict=True) if o.settles and not s.attempt_only]
    results: dict[int, str] = {}
    with transaction.atomic():
        # The audit chain's lock before any row lock (an attempt row's foreign keys lock its
        # campaign and batch too), as a cancel or a pause does: the other order deadlocks on
        # PostgreSQL. Taken even when nothing settles, since a retry may auto-pause.
        trail.lock_chain(workspace)
        if settling:
            trail.record(
                "delivery.batches_sent",
                workspace=workspace,
                obj=campaign,
                detail=_sent_detail(settling),
            )
        held = batch_state.settle_held([s.batch.pk for s, _ in settling], token)
        late = {s.batch.pk: _record_late(s, o) for s, o in settling if s.batch.pk not in held}
        results.update((pk, LATE_OUTCOME if n else "claim lost") for pk, n in late.items())
        Attempt.objects.bulk_create(
            _attempt_row(s, o, settled=_settled_by(s, held, late))
            for s, o in zip(sent, judged, strict=True)
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
        for s, o in zip(sent, judged, strict=True):
            if not o.settles and not s.attempt_only:
                results[s.batch.pk] = _schedule_retry(s, o, token, workspace)
    return results


def _count_calls(sent: list[SentBatch], judged: list[verdicts.CallVerdict]) -> None:
    """Every call made, counted whatever its recording does: the calls happened."""
    for s, o in zip(sent, judged, strict=True):
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


def _sent_detail(settling: list[tuple[SentBatch, verdicts.CallVerdict]]) -> dict[str, Any]:
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


def _record_late(sent: SentBatch, verdict: verdicts.CallVerdict) -> int:
    """The outcome of a call whose lease expired before it was recorded: keep what it tells.

    The sweeper has already taken the batch back. Under "mark unknown" its messages became
    unknown; a definite answer (accepted or rejected) replaces that. Under "resend" the batch
    went back to pending; if no worker has claimed it again, the answer settles it and the
    resend (a possible duplicate) never happens. Returns how many messages it settled.
    """
    if verdict.treat_as == AttemptResult.AMBIGUOUS:
        logger.error("batch %s: claim lost before its outcome was recorded", sent.batch.pk)
        return 0
    ids = [m.pk for m in sent.messages]
    if batch_state.settle_unclaimed(sent.batch.pk):
        rows = Message.objects.filter(pk__in=ids, status__in=membership.OPEN_ROWS)
    else:
        rows = Message.objects.filter(pk__in=ids, status=MessageStatus.UNKNOWN, result_code=verdicts.WORKER_LOST)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        logger.error("batch %s: claim lost and already sent again; outcome kept in its attempt", sent.batch.pk)
        return 0
    _record_messages([(sent, verdict)], only=ids)
    logger.warning("batch %s: answer came after its lease expired: %s now %s", sent.batch.pk, len(ids), verdict.final)
    return len(ids)


def _attempt_row(sent: SentBatch, verdict: verdicts.CallVerdict, *, settled: int) -> Attempt:
    attempt = sent.result.attempt
    return Attempt(
        batch=sent.batch,
        campaign_id=sent.batch.campaign_id,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
        http_status=attempt.http_status,
        outcome=verdict.kind,
        code=verdict.code,
        message=verdict.message,
        request_id=(sent.result.outcome.request_id or "")[:64],
        settled=settled if verdict.settles else 0,
    )


def _record_messages(done: list[tuple[SentBatch, verdicts.CallVerdict]], *, only: Sequence[int] | None = None) -> None:
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
            text = f"{rounds.CULPRIT_NOTE}: {text}"
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


def _schedule_retry(sent: SentBatch, verdict: verdicts.CallVerdict, token: str, workspace: Workspace) -> str:
    batch = sent.batch
    delay = verdicts.retry_delay(batch, sent.result.outcome, verdict.kind, workspace)
    if not batch_state.retry_later(batch.pk, token, delay):
        return "claim lost"
    cause, reason = verdicts.pause_reason(batch.campaign, batch, sent.result.outcome, verdict.kind, verdict.code)
    if reason:
        _auto_pause(batch.campaign, reason, cause)
    else:
        transaction.on_commit(lambda: queueing.enqueue([batch.pk], countdown=delay))
    return str(verdict.kind)


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
