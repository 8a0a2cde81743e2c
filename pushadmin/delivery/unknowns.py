"""A person's decision about messages whose outcome is unknown (the "mark unknown" policy's promise).

A call that got no answer may or may not have reached mPaaS. Under the "mark unknown" policy its
messages wait for a reviewer or an admin, who chooses for the whole campaign or for the rows they
pick: send them again with the same MsgKeys (mPaaS may then deliver a message twice, if the first
call did arrive), or leave them as unknown. Each decision names its reason and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.console import recorded_reasons as reasons
from pushadmin.delivery import batch_state, membership, queueing
from pushadmin.delivery.models import Batch, Message, MessageStatus

# A campaign's unknown rows can be decided on once it has ended with them.
DECIDABLE = [CampaignStatus.PARTLY_SENT, CampaignStatus.FAILED]
# How a decided row's note starts (`recorded_reasons.LEFT_AS_UNKNOWN`), so undecided rows can be found.
LEFT_NOTE = "Left as unknown by"
RESEND = "resend"
LEAVE = "leave"


class DecisionRefused(TransitionRefused):
    """The decision cannot be taken now; the message says why."""


def unknown_rows(campaign: Campaign) -> QuerySet[Message]:
    return Message.objects.filter(campaign=campaign, status=MessageStatus.UNKNOWN)


def undecided(campaign: Campaign) -> QuerySet[Message]:
    """Unknown rows nobody has decided about yet."""
    return unknown_rows(campaign).exclude(result_message__startswith=LEFT_NOTE)


def _chosen(campaign: Campaign, seqs: Sequence[int] | None) -> QuerySet[Message]:
    rows = unknown_rows(campaign)
    return rows if seqs is None else rows.filter(seq__in=list(seqs))


def decide(campaign: Campaign, *, request: Any, decision: str, reason: str, seqs: Sequence[int] | None = None) -> int:
    """Apply `decision` to the campaign's unknown rows (all, or those of `seqs`); returns how many."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused(_("Say why, so the trail shows what this decision rests on."))
    if decision == RESEND:
        return _resend(campaign, request=request, reason=reason, seqs=seqs)
    if decision == LEAVE:
        return _leave(campaign, request=request, reason=reason, seqs=seqs)
    raise DecisionRefused(_("Choose to send them again with the same MsgKeys or to leave them as unknown."))


def _leave(campaign: Campaign, *, request: Any, reason: str, seqs: Sequence[int] | None) -> int:
    name = request.user.get_username()
    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)
        rows = _chosen(campaign, seqs).exclude(result_message__startswith=LEFT_NOTE)
        chosen = list(rows.values_list("seq", flat=True))
        if not chosen:
            raise DecisionRefused(_("None of the chosen messages has an undecided unknown outcome."))
        Message.objects.filter(campaign=campaign, seq__in=chosen, status=MessageStatus.UNKNOWN).update(
            result_message=reasons.written(reasons.LEFT_AS_UNKNOWN, name=name, reason=reason)[:300],
            updated_at=timezone.now(),
        )
        trail.record(
            "delivery.unknown_left",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"messages": len(chosen), "rows": _ranges(chosen), "reason": reason},
        )
    return len(chosen)


def _resend(campaign: Campaign, *, request: Any, reason: str, seqs: Sequence[int] | None) -> int:
    """The chosen rows go out again in their own batches, each with its MsgKey: nothing else is re-sent,
    since a batch takes only its rows that are still unsent."""
    with transaction.atomic():
        chosen = list(_chosen(campaign, seqs).order_by("seq").values_list("pk", "seq", "send_round", "batch_id"))
        if not chosen:
            raise DecisionRefused(_("None of the chosen messages has an unknown outcome."))
        try:
            campaign = transition(
                campaign,
                CampaignStatus.SENDING,
                action="delivery.unknown_resent",
                request=request,
                expected=DECIDABLE,
                changes={"finished_at": None, "pause_reason": ""},
                detail={"messages": len(chosen), "rows": _ranges([row[1] for row in chosen]), "reason": reason},
            )
        except TransitionRefused as refused:
            raise DecisionRefused(
                _("“%(name)s” is %(state)s; unknown outcomes are decided once it has ended.")
                % {"name": campaign.name, "state": campaign.get_status_display().lower()}
            ) from refused
        now = timezone.now()
        Message.objects.filter(pk__in=[row[0] for row in chosen], status=MessageStatus.UNKNOWN).update(
            status=MessageStatus.PENDING, request_id="", task_id="", result_code="", result_message="", updated_at=now
        )
        held_by = Q(pk__in={batch_id for _, _, _, batch_id in chosen if batch_id is not None})
        numbers = {
            membership.batch_number_of(seq)
            for _, seq, send_round, batch_id in chosen
            if batch_id is None and send_round == membership.FIRST_ROUND
        }
        held_by |= Q(send_round=membership.FIRST_ROUND, seq__in=numbers)
        batches = Batch.objects.filter(held_by, campaign=campaign)
        batch_state.reopen(batches, now)
        batch_ids = list(batches.order_by("send_round", "seq").values_list("pk", flat=True))
    transaction.on_commit(lambda: queueing.enqueue(batch_ids))
    return len(chosen)


def _ranges(seqs: Sequence[int]) -> str:
    """Row numbers as short ranges for the trail: 1-3, 7, 10-12."""
    parts = [str(first) if first == last else f"{first}-{last}" for first, last in membership.runs(sorted(seqs))]
    return ", ".join(parts)[:2000]
