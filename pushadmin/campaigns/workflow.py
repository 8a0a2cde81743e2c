"""Named actions on a campaign that other parts of pushadmin call.

The builder calls `record_edit` after every saved change and `submit_for_review` from its
submit button; review and approval live in `pushadmin.reviews.approving`, and all of them
build on the same `lifecycle.transition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _

from pushadmin.accounts.requests import AuthenticatedRequest
from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus

EDITABLE_STATES = {CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED}


class EditRefused(Exception):
    """The campaign is sending or finished; its content can no longer change."""


def record_edit(
    campaign: Campaign,
    *,
    request: AuthenticatedRequest,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Campaign:
    """Note a saved change: bump the revision, remember the editor, void any approval and return to draft."""
    # Imported here: reviews builds on campaigns, not the other way round.
    from pushadmin.reviews.approving import void_approvals

    with transaction.atomic():
        # The state in the database, not the one read at the start of the request: an approval
        # may have started sending meanwhile, and the caller's row changes must then roll back.
        trail.lock_chain(campaign.workspace_id)  # before the row lock (see trail.lock_chain)
        current = Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("status", flat=True).first()
        if current not in EDITABLE_STATES:
            label = CampaignStatus(current).label.lower() if current else "deleted"
            raise EditRefused(
                _("“%(name)s” is %(label)s; it can no longer be edited.") % {"name": campaign.name, "label": label}
            )
        Campaign.objects.filter(pk=campaign.pk).update(revision=F("revision") + 1, fingerprint="")
        campaign.editors.add(request.user)
        trail.record(
            "campaign.edited", request=request, workspace=campaign.workspace, obj=campaign, before=before, after=after
        )
        campaign.refresh_from_db()
        voided = void_approvals(campaign, "edited after submission")
        if campaign.status in (CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED):
            campaign = transition(
                campaign,
                CampaignStatus.DRAFT,
                action="campaign.approval_voided",
                request=request,
                expected=[campaign.status],
                detail={"reason": "edited after submission", "revision": campaign.revision, "approvals_voided": voided},
            )
    return campaign


def submit_for_review(campaign: Campaign, *, request: HttpRequest) -> Campaign:
    """Send a draft to the review queue, bound to the fingerprint of what it will send.

    Preflight blocking is checked by the caller's form.
    """
    from pushadmin.reviews.fingerprint import compute_fingerprint

    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)  # before the row lock (see trail.lock_chain)
        locked = Campaign.objects.select_for_update().select_related("template", "workspace").get(pk=campaign.pk)
        fingerprint = compute_fingerprint(locked)
        return transition(
            locked,
            CampaignStatus.IN_REVIEW,
            action="campaign.submitted",
            request=request,
            expected=[CampaignStatus.DRAFT],
            changes={"fingerprint": fingerprint},
            detail={"fingerprint": fingerprint, "revision": locked.revision},
        )
