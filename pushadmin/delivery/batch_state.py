"""Where a batch's status changes: claimed, marked as being called, settled, given back, retried,
cancelled, reopened. Each move is one conditional UPDATE on the status it starts from.

    pending ──claim──▶ claimed ──mark_calling──▶ in flight ──settle_held──▶ done
       ▲                  │                          │
       └──── give_back ───┘◀──────── retry_later ────┘
    pending ──cancel_pending──▶ cancelled
    claimed, lease run out ──release_expired_claims──▶ pending               (the sweeper's moves)
    in flight, lease run out ──requeue_expired──▶ pending, or ──close_expired──▶ done

A group's batches are claimed together, but each is marked in flight on its own, just before its
call leaves: a batch in flight is one whose call may have been made. A claim carries a token and a
lease: only the holder of the token moves the batch on, and a batch whose lease ran out is the
sweeper's (`sweeper.py` takes expired claims and leases back). The outcome of the calls on the
batch's rows is written by `row_outcomes.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import membership, queueing, row_outcomes
from pushadmin.delivery.models import Batch, BatchStatus, MessageStatus

OPEN_BATCH = (BatchStatus.PENDING, BatchStatus.CLAIMED, BatchStatus.IN_FLIGHT)
HELD_BATCH = (BatchStatus.CLAIMED, BatchStatus.IN_FLIGHT)
# What the unsent rows of a cancelled campaign's batches say.
CANCELLED_UNSENT = "Cancelled before it was sent."


def lease() -> timedelta:
    return timedelta(seconds=settings.PUSHADMIN_SEND_LEASE_SECONDS)


def claim(batch_ids: Sequence[int], token: str) -> list[Batch]:
    """Pending → claimed (with a lease and `token`) for those of these batches that are due and whose
    campaign is sending; returns the claimed batches with their campaign, workspace and template."""
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
            lease_until=now + lease(),
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


def mark_calling(batch_id: int, campaign_id: int, token: str) -> bool:
    """Claimed → in flight for a batch whose call is about to leave, only while its campaign is sending.

    One UPDATE per call, made just before the call is started, so a batch is in doubt (see the sweeper)
    only once its call may have left. On PostgreSQL the campaign's row is read FOR SHARE inside it: a
    pause or a cancel (which updates that row) then comes wholly before this update or wholly after
    its commit, never between its check and its write; a cancel's sweep of unsent rows therefore
    either sees the batch in flight or the call never starts. SQLite runs one writer at a time, and
    the statement reads the campaign as committed. Workers' FOR SHARE locks do not wait for one another.
    """
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {Batch._meta.db_table} SET status = %s, lease_until = %s "  # noqa: S608
        "WHERE id = %s AND claim_token = %s AND status = %s AND EXISTS ("
        f"SELECT 1 FROM {Campaign._meta.db_table} WHERE id = %s AND status = %s{lock})"
    )
    params = [
        BatchStatus.IN_FLIGHT,
        row_outcomes.db_time(Batch, timezone.now() + lease()),
        batch_id,
        token,
        BatchStatus.CLAIMED,
        campaign_id,
        CampaignStatus.SENDING,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def close_empty(batch_ids: list[int], token: str) -> None:
    """Claimed batches with no row left to send are done without a call."""
    Batch.objects.filter(pk__in=batch_ids, claim_token=token).update(status=BatchStatus.DONE, lease_until=None)


def settle_held(batch_ids: list[int], token: str) -> set[int]:
    """Those of these batches the claim `token` still holds in flight become done; returns which.

    One `UPDATE … RETURNING` (SQLite ≥ 3.35 and PostgreSQL), in place of a look and an update.
    """
    if not batch_ids:
        return set()
    placeholders = ", ".join(["%s"] * len(batch_ids))
    sql = (
        f"UPDATE {Batch._meta.db_table} SET status = %s, lease_until = NULL, updated_at = %s "  # noqa: S608
        f"WHERE id IN ({placeholders}) AND claim_token = %s AND status = %s RETURNING id"
    )
    params = [BatchStatus.DONE, row_outcomes.db_time(Batch, timezone.now()), *batch_ids, token, BatchStatus.IN_FLIGHT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def settle_unclaimed(batch_id: int) -> bool:
    """A batch the sweeper put back to pending that no worker has claimed again is done (a late answer settled it)."""
    settled = Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING, claim_token="").update(
        status=BatchStatus.DONE, lease_until=None, updated_at=timezone.now()
    )
    return bool(settled)


def retry_later(batch_id: int, token: str, delay: float) -> bool:
    """In flight → pending, due after `delay` seconds, while `token` still holds it; False when the claim was lost."""
    now = timezone.now()
    back = Batch.objects.filter(pk=batch_id, claim_token=token, status=BatchStatus.IN_FLIGHT).update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        next_attempt_at=now + timedelta(seconds=delay),
        queued_at=now,
        updated_at=now,
    )
    return back == 1


def give_back(batch_ids: list[int], campaign_id: int, token: str, *, delay: float) -> None:
    """Give claims back unsent (no call was made), to be tried again after `delay`.

    The attempt the claim counted is taken back; the batches of a campaign cancelled meanwhile
    are cancelled, the others enqueued again on commit.
    """
    now = timezone.now()
    mine = Batch.objects.filter(pk__in=batch_ids, claim_token=token, status__in=HELD_BATCH)
    back = list(mine.values_list("pk", flat=True))
    Batch.objects.filter(pk__in=back, claim_token=token, status__in=HELD_BATCH).update(
        status=BatchStatus.PENDING,
        lease_until=None,
        claim_token="",
        attempts=F("attempts") - 1,
        next_attempt_at=now + timedelta(seconds=delay),
        queued_at=now,
    )
    if back and Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.CANCELLED).exists():
        cancel_pending(back)
    else:
        transaction.on_commit(lambda: queueing.enqueue(back, countdown=delay or None))


def cancel_pending(batch_ids: Iterable[int]) -> list[int]:
    """Pending batches of a cancelled campaign, and their unsent rows, become cancelled; returns which."""
    done = []
    for batch in Batch.objects.filter(pk__in=list(batch_ids)).select_related("campaign").order_by("pk"):
        with transaction.atomic():
            # The workspace's chain lock first, as a cancel's slices of rows take it: two writers of the
            # same rows in different orders would deadlock on PostgreSQL.
            trail.lock_chain(batch.campaign.workspace_id)
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


def cancel_pending_of(campaign: Campaign) -> None:
    """A cancelled campaign's pending batches become cancelled (their rows are cancelled after, in slices)."""
    Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING).update(status=BatchStatus.CANCELLED)


def reopen(batches: QuerySet[Batch], now: datetime) -> None:
    """Batches whose unknown rows a person chose to send again go back to pending, due at once."""
    batches.update(status=BatchStatus.PENDING, claim_token="", lease_until=None, next_attempt_at=None, queued_at=now)


# --------------------------------------------------------------------------- the sweeper's moves


def release_expired_claims(batch_ids: list[int], now: datetime) -> None:
    """Claimed batches whose worker died before calling go back to pending (that try does not count).

    Conditional on the claim still being expired; a duplicate task for a batch taken meanwhile is harmless.
    """
    Batch.objects.filter(pk__in=batch_ids, status=BatchStatus.CLAIMED, lease_until__lt=now).update(
        status=BatchStatus.PENDING, claim_token="", lease_until=None, attempts=F("attempts") - 1, queued_at=now
    )


def _expired_in_flight(batch: Batch, now: datetime) -> QuerySet[Batch]:
    return Batch.objects.filter(
        pk=batch.pk, status=BatchStatus.IN_FLIGHT, claim_token=batch.claim_token, lease_until__lt=now
    )


def requeue_expired(batch: Batch, now: datetime) -> bool:
    """In flight, lease run out, and the workspace resends calls in doubt: back to pending."""
    return bool(
        _expired_in_flight(batch, now).update(
            status=BatchStatus.PENDING, claim_token="", lease_until=None, queued_at=now
        )
    )


def close_expired(batch: Batch, now: datetime) -> bool:
    """In flight, lease run out: done, its open rows left unknown by the caller (in the same transaction)."""
    return bool(_expired_in_flight(batch, now).update(status=BatchStatus.DONE, lease_until=None, updated_at=now))
