"""Which rows a batch holds.

A campaign's first round is cut by row number: its batch k always holds rows (k-1)*100+1 … k*100,
and those rows keep status draft and no reference to their batch until their outcome is recorded.
So cutting a million rows writes ten thousand batch rows and not a single message row; each
message is written once, with its outcome. A resend round picks arbitrary rows, so its rows point
to their batch from the moment it is cut.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

from django.db.models import IntegerField, Q, QuerySet
from django.db.models.functions import Cast

from pushadmin.delivery.models import Batch, Message, MessageStatus
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL

BATCH_SIZE = MAX_TARGETS_PER_CALL
FIRST_ROUND = 1
# Rows not yet sent: draft (uncut, or cut in the first round), pending (cut in a resend round),
# in flight (a state the sender does not write, still read as unsent).
OPEN_ROWS = (MessageStatus.DRAFT, MessageStatus.PENDING, MessageStatus.IN_FLIGHT)


def seq_range(batch_number: int) -> tuple[int, int]:
    """The first and last row number of a first-round batch."""
    return (batch_number - 1) * BATCH_SIZE + 1, batch_number * BATCH_SIZE


def batch_number_of_row(seq: Any) -> Any:
    """In SQL: the number of the first-round batch that holds row number `seq` (an expression,
    such as `OuterRef("seq")` in a subquery on batches)."""
    return Cast((seq - 1) / BATCH_SIZE, IntegerField()) + 1


def batch_number_of(seq: int) -> int:
    return (seq - 1) // BATCH_SIZE + 1


def rows_of(batch: Batch) -> QuerySet[Message]:
    """Every row a batch holds, whatever its state."""
    return Message.objects.filter(in_batches([batch]))


def in_batches(batches: Iterable[Batch]) -> Q:
    """A condition on messages: held by one of these batches (of one campaign)."""
    numbers: list[int] = []
    later: list[int] = []
    campaign_ids = set()
    for batch in batches:
        campaign_ids.add(batch.campaign_id)
        if batch.send_round == FIRST_ROUND:
            numbers.append(batch.seq)
        else:
            later.append(batch.pk)
    conditions = [Q(batch_id__in=later)] if later else []
    if numbers:
        (campaign_id,) = campaign_ids
        conditions.append(in_first_round(campaign_id, numbers))
    return functools.reduce(operator.or_, conditions)


def in_first_round(campaign_id: int, numbers: list[int]) -> Q:
    """A condition on messages: the rows of these first-round batch numbers of the campaign (cut or not)."""
    ranges = Q()
    for first, last in runs(sorted(numbers)):
        ranges |= Q(seq__gte=seq_range(first)[0], seq__lte=seq_range(last)[1])
    return Q(campaign_id=campaign_id, send_round=FIRST_ROUND) & ranges


def runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive numbers as (first, last) runs: one seq range each in SQL."""
    found: list[tuple[int, int]] = []
    for number in numbers:
        if found and found[-1][1] + 1 == number:
            found[-1] = (found[-1][0], number)
        else:
            found.append((number, number))
    return found


def batch_of_row(seq: int, send_round: int, batch_id: int | None, batches: dict[Any, Batch]) -> Batch | None:
    """Which of `batches` (keyed by pk and by first-round number) a loaded row belongs to."""
    if send_round == FIRST_ROUND and batch_id is None:
        return batches.get(("first", batch_number_of(seq)))
    return batches.get(batch_id)


def cut_upto(campaign_id: int) -> int:
    """The last row number the first round's cut has reached."""
    last = (
        Batch.objects.filter(campaign_id=campaign_id, send_round=FIRST_ROUND)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return (last or 0) * BATCH_SIZE


def first_uncut_seq(campaign_id: int) -> int | None:
    """The first row the cut has still to reach, or None."""
    return first_draft_after(campaign_id, cut_upto(campaign_id))


def first_draft_after(campaign_id: int, seq: int) -> int | None:
    """The first draft row after row `seq`, or None.

    Walks the rows in order, a few first and then a chunk at a time (rows skipped for missing
    data sit in between): with the state in SQL instead, PostgreSQL may take the (campaign,
    status) index and read every draft row of the campaign, cut or not.
    """
    size = 10
    while True:
        chunk = list(
            Message.objects.filter(campaign_id=campaign_id, seq__gt=seq)
            .order_by("seq")
            .values_list("seq", "status")[:size]
        )
        for row_seq, status in chunk:
            if status == MessageStatus.DRAFT:
                return row_seq
        if len(chunk) < size:
            return None
        seq, size = chunk[-1][0], 1000


def draft_batch_numbers(campaign_id: int, low: int, high: int) -> list[int]:
    """The first-round batches between rows `low` and `high` that hold a draft row (by row, as above)."""
    rows = Message.objects.filter(campaign_id=campaign_id, seq__gte=low, seq__lte=high).values_list("seq", "status")
    return sorted({batch_number_of(seq) for seq, status in rows.order_by() if status == MessageStatus.DRAFT})
