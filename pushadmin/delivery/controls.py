"""What marketers and admins do to a sending campaign: pause, resume, cancel, resend failed only.

Each is a lifecycle transition (a conditional update plus its audit entry) and, in the same
transaction, the batch and message changes it implies; any batch tasks it needs are
enqueued on commit. Work already in flight is never interrupted: it is recorded normally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import CharField, Exists, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.console import recorded_reasons
from pushadmin.delivery import batch_state, finishing, membership, queueing, rounds, scheduling
from pushadmin.delivery.models import Batch, BatchStatus, Message, MessageStatus
from pushadmin.safety import holding


def pause(campaign: Campaign, *, request: Any) -> Campaign:
    """Stop claiming new batches; batches already in flight finish and are recorded."""
    name = request.user.get_username()
    return transition(
        campaign,
        CampaignStatus.PAUSED,
        action="campaign.paused",
        request=request,
        expected=[CampaignStatus.SENDING],
        changes={"pause_reason": recorded_reasons.written(recorded_reasons.PAUSED_BY, name=name)},
    )


def resume(campaign: Campaign, *, request: Any) -> Campaign:
    """Carry on from the durable per-batch state: only batches still pending are sent."""
    with transaction.atomic():
        campaign = transition(
            campaign,
            CampaignStatus.SENDING,
            action="campaign.resumed",
            request=request,
            expected=[CampaignStatus.PAUSED],
            changes={"pause_reason": ""},
        )
        pending = Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING)
        pending.update(next_attempt_at=None, queued_at=timezone.now())
        batch_ids = list(pending.order_by("send_round", "seq").values_list("pk", flat=True))
        if not batch_ids:
            transaction.on_commit(lambda: finishing.finish_if_done(campaign.pk))
    transaction.on_commit(lambda: queueing.enqueue(batch_ids))
    return campaign


CANCELLABLE = [CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED]


class NotCancelled(TransitionRefused):
    """CancelPushScheduler did not cancel every task; the message says what was and was not cancelled."""


def cancel(campaign: Campaign, *, request: Any) -> Campaign:
    """Stop for good: unsent messages become cancelled; batches already in flight still record.

    A campaign waiting on mPaaS is cancelled there first (CancelPushScheduler) and becomes
    cancelled here only if mPaaS cancelled at least some of its tasks and gave an answer
    for every one; otherwise it stays scheduled and the person is told why.
    """
    if scheduling.registered_on_mpaas(campaign):
        return _cancel_registered(campaign, request=request)
    campaign = _stop(campaign, request=request, expected=CANCELLABLE)
    # A fixed-time or loop campaign being registered may already have tasks on mPaaS.
    on_mpaas = scheduling.cancel_on_mpaas(campaign, request=request)
    if on_mpaas.refused or on_mpaas.failure:
        _record_leftover(campaign, on_mpaas, request=request)
        raise NotCancelled(
            _("“%(name)s” is cancelled here, but not all of it on mPaaS. %(summary)s")
            % {"name": campaign.name, "summary": recorded_reasons.readable(on_mpaas.summary())}
        )
    return campaign


def _stop(
    campaign: Campaign,
    *,
    request: Any,
    expected: Sequence[str],
    detail: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> Campaign:
    with transaction.atomic():
        counts_before = finishing.message_counts(campaign.pk)
        unsent = counts_before.get(MessageStatus.PENDING, 0) + counts_before.get(MessageStatus.DRAFT, 0)
        campaign = transition(
            campaign,
            CampaignStatus.CANCELLED,
            action="campaign.cancelled",
            request=request,
            expected=expected,
            changes=changes,
            detail={"unsent": unsent, **(detail or {})},
        )
        batch_state.cancel_pending_of(campaign)
    # After the commit, a slice per transaction: the audit chain's lock, which every sending
    # worker needs to record its calls, is not held while a million rows are rewritten.
    cancel_unsent_messages(campaign.pk)
    return campaign


CANCEL_SLICE_ROWS = 5000


def cancel_unsent_messages(campaign_id: int) -> int:
    """Rows of a cancelled campaign not sent and not in flight become cancelled; returns how many.

    The sweeper calls it again for a cancel whose process died half-way.
    """
    unsent = unsent_messages().filter(campaign_id=campaign_id)
    workspace_id = Campaign.objects.filter(pk=campaign_id).values_list("workspace_id", flat=True).get()
    cancelled = 0
    while True:
        with transaction.atomic():
            # Each slice under the workspace's chain lock, taken first as every writer of these rows
            # takes it (a worker recording or giving back its step): in another order, PostgreSQL
            # found a deadlock between this UPDATE and a worker cancelling the same rows batch by batch.
            trail.lock_chain(workspace_id)
            ids = list(unsent.values_list("pk", flat=True)[:CANCEL_SLICE_ROWS])
            if not ids:
                return cancelled
            cancelled += unsent.filter(pk__in=ids).update(
                status=MessageStatus.CANCELLED, result_message=batch_state.CANCELLED_UNSENT, updated_at=timezone.now()
            )


def unsent_messages() -> QuerySet[Message]:
    """Rows not sent and not in a call that is under way: what a cancel turns into cancelled."""
    first_round_in_flight = Batch.objects.filter(
        campaign_id=OuterRef("campaign_id"),
        send_round=membership.FIRST_ROUND,
        seq=membership.batch_number_of_row(OuterRef("seq")),
        status=BatchStatus.IN_FLIGHT,
    )
    return (
        Message.objects.filter(status__in=[MessageStatus.DRAFT, MessageStatus.PENDING])
        .exclude(batch__status=BatchStatus.IN_FLIGHT)
        .exclude(Q(status=MessageStatus.DRAFT) & Exists(first_round_in_flight))
    )


def _cancel_registered(campaign: Campaign, *, request: Any) -> Campaign:
    on_mpaas = scheduling.cancel_on_mpaas(campaign, request=request)
    if on_mpaas.failure or on_mpaas.nothing_cancelled:
        trail.record(
            "campaign.cancel_failed",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail=on_mpaas.as_detail(),
        )
        said = {"name": campaign.name, "summary": recorded_reasons.readable(on_mpaas.summary())}
        if on_mpaas.failure:
            told = _("“%(name)s” is still scheduled on mPaaS, not cancelled. %(summary)s Try again to cancel the rest.")
        else:
            told = _("“%(name)s” is still scheduled on mPaaS, not cancelled. %(summary)s")
        raise NotCancelled((told % said).strip())
    return _stop(
        campaign,
        request=request,
        expected=[CampaignStatus.SCHEDULED],
        detail=on_mpaas.as_detail(),
        changes={"pause_reason": on_mpaas.summary()[:300]},
    )


def cancel_late_registrations(campaign_id: int) -> None:
    """A campaign cancelled while its scheduled calls were on their way: the tasks those calls
    registered on mPaaS after the cancel are cancelled there too, as the cancel did for the rest."""
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status != CampaignStatus.CANCELLED:
        return
    on_mpaas = scheduling.cancel_on_mpaas(campaign)
    if on_mpaas.refused or on_mpaas.failure:
        _record_leftover(campaign, on_mpaas, request=None)


def _record_leftover(campaign: Campaign, on_mpaas: scheduling.MpaasCancellation, *, request: Any) -> None:
    """A campaign cancelled here whose tasks mPaaS did not all cancel: say so on its page and in the trail."""
    with transaction.atomic():
        trail.record(
            "campaign.cancel_incomplete_on_mpaas",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail=on_mpaas.as_detail(),
        )
        Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CANCELLED).update(
            pause_reason=on_mpaas.summary()[:300]
        )


def resendable(campaign: Campaign) -> int:
    """Rejected messages a resend round would take (not those refused for their own content)."""
    rejected = Message.objects.filter(campaign=campaign, status=MessageStatus.REJECTED)
    return rejected.exclude(rounds.refused_for_own_content()).count()


def refused_for_own_content(campaign: Campaign) -> int:
    return Message.objects.filter(rounds.refused_for_own_content(), campaign=campaign).count()


def resend_failed(campaign: Campaign, *, request: Any) -> Campaign:
    """A new round for rejected messages only, each with a new MsgKey; accepted and unknown ones stay.

    The first `RESEND_IN_REQUEST_ROWS` rows are cut into batches here, so the round's first
    calls leave at once (few: this holds the audit chain's lock, which every sending worker
    waits for); a bigger round is cut on by the `cut_resend_round` task, a slice per
    transaction (a web request must not run for a minute over a million rows).
    """
    with transaction.atomic():
        new_round = campaign.send_round + 1
        campaign = transition(
            campaign,
            CampaignStatus.SENDING,
            action="campaign.resend_failed",
            request=request,
            expected=[CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED],
            changes={"send_round": new_round, "finished_at": None, "pause_reason": ""},
        )
        trail.record(
            "delivery.resend_round",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"round": new_round, "messages": rounds.rejected_before_this_round(campaign).count()},
        )
        batch_ids, more = cut_resend_rows(campaign, RESEND_IN_REQUEST_ROWS)
        if not batch_ids and not more:
            transaction.on_commit(lambda: finishing.finish_if_done(campaign.pk))
    if more:
        transaction.on_commit(lambda: queueing.enqueue_resend_cutting(campaign.pk))
    transaction.on_commit(lambda: queueing.enqueue(batch_ids))
    return campaign


def cut_resend_remaining(campaign_id: int) -> int:
    """Cut the rest of a resend round, one committed slice at a time (the `cut_resend_round` task)."""
    cut = 0
    while True:
        with transaction.atomic():
            # The row lock keeps a second cutting task (a redelivery, the sweeper) from numbering
            # the same batches; it is released with each slice.
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
                return cut
            batch_ids, more = cut_resend_rows(campaign, RESEND_SLICE_ROWS)
        queueing.enqueue(batch_ids)
        cut += len(batch_ids)
        if not more:
            finishing.finish_if_done(campaign_id)
            return cut


# Rejected rows are read a slice at a time, so a round of a million rows needs no more memory than one slice.
RESEND_SLICE_ROWS = 5000
# Rows of a resend round cut in the web request; the rest is cut by a worker.
RESEND_IN_REQUEST_ROWS = 5_000


def cut_resend_rows(campaign: Campaign, limit: int) -> tuple[list[int], bool]:
    """Give up to `limit` rejected rows (by seq) new MsgKeys of `campaign.send_round` and batches of at most 100.

    Returns (batch ids, more rows left). Batch k of the round holds the (k-1)*100+1th to the
    k*100th rejected row, as a cut of the first round does. Each batch's rows are rewritten
    by one UPDATE that makes their MsgKeys in SQL, the same keys `Campaign.msg_key_for` makes.
    """
    new_round = campaign.send_round
    rejected = rounds.rejected_before_this_round(campaign).order_by("seq")
    holding.hold_back(campaign, campaign.workspace, rejected)
    # Campaign.msg_key_for(seq, new_round), in SQL (a test holds the two to the same keys).
    new_key = Concat(Value(f"pa{campaign.msg_key_prefix}-"), Cast("seq", CharField()), Value(f"-r{new_round}"))
    batch_ids: list[int] = []
    resent = 0
    now = timezone.now()
    size = membership.BATCH_SIZE
    # Whole batches per slice, so every batch but the round's last one holds 100 rows.
    slice_rows = max(RESEND_SLICE_ROWS // size, 1) * size
    numbered = Batch.objects.filter(campaign=campaign, send_round=new_round).aggregate(last=Max("seq"))["last"] or 0
    while True:
        rows = list(rejected.values_list("pk", "seq")[:slice_rows])
        if not rows or resent >= limit:
            return batch_ids, bool(rows)
        batches = Batch.objects.bulk_create(
            Batch(campaign=campaign, seq=numbered + len(batch_ids) + number, send_round=new_round, queued_at=now)
            for number in range(1, (len(rows) + size - 1) // size + 1)
        )
        for index, batch in enumerate(batches):
            Message.objects.filter(pk__in=[pk for pk, _seq in rows[index * size : (index + 1) * size]]).update(
                msg_key=new_key,
                send_round=new_round,
                status=MessageStatus.PENDING,
                request_id="",
                task_id="",
                result_code="",
                result_message="",
                batch=batch,
                updated_at=now,
            )
            batch_ids.append(batch.pk)
        resent += len(rows)
