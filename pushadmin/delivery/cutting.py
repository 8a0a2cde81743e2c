"""Cutting a started campaign's rows into batches of at most 100, and holding back the rows that must not go.

A first-round batch holds its rows by number (batch k: rows (k-1)*100+1 … k*100, see
`membership`), so a cut writes batch rows only. The first rows are cut in the transaction that
starts the campaign (`dispatch.start_campaign`); the rest by the `cut_batches` task, a committed
slice at a time, while the first batches are sent. Resend rounds are cut by `controls`.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from pushadmin.campaigns import payload, rendering
from pushadmin.campaigns.models import Campaign, CampaignStatus, MissingDataPolicy
from pushadmin.delivery import finishing, membership, queueing
from pushadmin.delivery.models import Batch, BatchStatus, Message, MessageStatus
from pushadmin.safety import holding

BATCH_SIZE = membership.BATCH_SIZE
CUT_SLICE_ROWS = 20_000


class CutSlice(NamedTuple):
    numbers: list[int]  # first-round batches to make
    more: bool  # rows left to cut after them


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
        queueing.enqueue(batch_ids)
        cut += len(batch_ids)
        if not slice_.more:
            finishing.finish_if_done(campaign_id)
            return cut


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


def skip_unsendable_rows(campaign: Campaign) -> int:
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
