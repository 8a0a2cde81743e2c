"""A campaign's safety flags: service notice (sends through quiet hours) and a frequency-cap exception."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.safety.models import CampaignSafety


class FlagRefused(Exception):
    """The flag cannot change in the campaign's state (the message says why)."""


def of(campaign: Campaign) -> CampaignSafety:
    """The campaign's flags (defaults when none was ever set; nothing is written)."""
    found = CampaignSafety.objects.filter(campaign_id=campaign.pk).first()
    return found or CampaignSafety(campaign=campaign)


def set_service_notice(campaign: Campaign, *, request: Any, on: bool) -> None:
    """Only a draft's flag changes: an approval is bound to it (it decides whether quiet hours hold it)."""
    with transaction.atomic():
        trail.lock_chain(campaign.workspace_id)
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            raise FlagRefused(_("Only a draft campaign can be marked as a service notice or as marketing."))
        CampaignSafety.objects.update_or_create(campaign=locked, defaults={"service_notice": on})
        # Editing a draft moves its revision on, as every edit does, so a review sees the new flag.
        Campaign.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        trail.record(
            "campaign.service_notice_set" if on else "campaign.service_notice_cleared",
            request=request,
            workspace=locked.workspace,
            obj=locked,
            detail={"service_notice": on},
        )


def record_cap_exception(campaign: Campaign, *, request: Any, exception: str) -> None:
    """Recorded by the approving reviewer, inside the approval's transaction."""
    CampaignSafety.objects.update_or_create(
        campaign=campaign,
        defaults={
            "cap_exception": exception.strip()[:300],
            "cap_exception_by": request.user,
            "cap_exception_at": timezone.now(),
        },
    )
