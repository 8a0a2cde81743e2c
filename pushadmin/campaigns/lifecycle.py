"""The campaign lifecycle: the only transitions that exist, each a conditional update.

`transition` moves a campaign from one of the expected states to the next with a single
`UPDATE … WHERE status IN (…)`, so two people (or two workers) acting at once cannot both
win, and writes the audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.signals import campaign_moved

S = CampaignStatus

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.IN_REVIEW, S.CANCELLED},
    S.IN_REVIEW: {S.APPROVED, S.DRAFT, S.CANCELLED},
    S.APPROVED: {S.SCHEDULED, S.SENDING, S.DRAFT, S.CANCELLED},
    # Held here: starts sending when due. Registered on mPaaS (it has sent its calls): mPaaS fires
    # it, and once its last fire time has passed it ends with the outcome of its calls.
    S.SCHEDULED: {S.SENDING, S.SENT, S.PARTLY_SENT, S.FAILED, S.CANCELLED},
    # SCHEDULED: every call of a fixed-time or loop campaign is answered and mPaaS holds its tasks.
    S.SENDING: {S.PAUSED, S.SCHEDULED, S.SENT, S.PARTLY_SENT, S.FAILED, S.CANCELLED},
    S.PAUSED: {S.SENDING, S.CANCELLED},
    S.SENT: set(),
    # "Resend failed only" starts a new round; an answer that came in after its call's lease
    # expired (see delivery.sending._record_late) can correct how an ended campaign went.
    S.PARTLY_SENT: {S.SENDING, S.SENT},
    S.FAILED: {S.SENDING, S.SENT, S.PARTLY_SENT},
    S.CANCELLED: set(),
}

# Which timestamp a transition stamps, when it has one.
STAMPS: dict[str, str] = {
    S.IN_REVIEW: "submitted_at",
    S.APPROVED: "approved_at",
    S.SENT: "finished_at",
    S.PARTLY_SENT: "finished_at",
    S.FAILED: "finished_at",
    S.CANCELLED: "finished_at",
}


class TransitionRefused(Exception):
    """The campaign is not in a state from which this step is possible (it may have just changed)."""


def transition(
    campaign: Campaign,
    to: str,
    *,
    action: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    expected: Iterable[str] | None = None,
    changes: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Campaign:
    """Move `campaign` to `to` if it is still in one of `expected` (default: every state allowed to reach `to`)."""
    sources = set(expected) if expected is not None else {src for src, targets in ALLOWED.items() if to in targets}
    illegal = {src for src in sources if to not in ALLOWED[src]}
    if illegal:
        raise ValueError(f"No transition from {sorted(illegal)} to {to!r} exists")
    values: dict[str, Any] = {"status": to, "updated_at": timezone.now(), **(changes or {})}
    if to in STAMPS and STAMPS[to] not in values:
        values[STAMPS[to]] = timezone.now()
    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)  # before the row lock, in the order every audited writer takes them
        # Read the state under a row lock so the entry's "before" is the state this update replaced.
        before = Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("status", flat=True).first()
        updated = Campaign.objects.filter(pk=campaign.pk, status__in=sources).update(**values)
        if updated != 1:
            current = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
            label = CampaignStatus(current).label if current else "deleted"
            raise TransitionRefused(
                _("“%(name)s” is now %(lower)s; it cannot become %(lower2)s.")
                % {"name": campaign.name, "lower": label.lower(), "lower2": CampaignStatus(to).label.lower()}
            )
        trail.record(
            action,
            actor=actor,
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            before={"status": before},
            after={"status": to},
            detail=detail,
        )
        who = actor if actor is not None else getattr(request, "user", None)
        campaign_moved.send(
            sender=Campaign, campaign=campaign, action=action, to=to, actor=who, detail=dict(detail or {})
        )
    campaign.refresh_from_db()
    return campaign
