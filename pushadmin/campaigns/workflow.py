"""Named actions on a campaign that other parts of pushadmin call.

The builder calls `record_edit` after every saved change and `submit_for_review` from its
submit button; review, approval and sending build on the same `lifecycle.transition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus

EDITABLE_STATES = {CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED}


class EditRefused(Exception):
    """The campaign is sending or finished; its content can no longer change."""


def record_edit(
    campaign: Campaign,
    *,
    request: HttpRequest,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Campaign:
    """Note a saved change: bump the revision, remember the editor, void any approval."""
    if campaign.status not in EDITABLE_STATES:
        raise EditRefused(f"“{campaign.name}” is {campaign.get_status_display().lower()}; it can no longer be edited.")
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(revision=F("revision") + 1, fingerprint="")
        campaign.editors.add(request.user)
        trail.record(
            "campaign.edited", request=request, workspace=campaign.workspace, obj=campaign, before=before, after=after
        )
        campaign.refresh_from_db()
        if campaign.status in (CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED):
            campaign = transition(
                campaign,
                CampaignStatus.DRAFT,
                action="campaign.approval_voided",
                request=request,
                expected=[campaign.status],
                detail={"reason": "edited after submission"},
            )
    return campaign


def submit_for_review(campaign: Campaign, *, request: HttpRequest) -> Campaign:
    """Send a draft to the review queue (preflight blocking is checked by the caller's form)."""
    return transition(
        campaign,
        CampaignStatus.IN_REVIEW,
        action="campaign.submitted",
        request=request,
        expected=[CampaignStatus.DRAFT],
    )
