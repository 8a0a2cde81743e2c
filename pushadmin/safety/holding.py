"""Holding targets back when a campaign is cut: the suppression list and the frequency cap.

Applied to each slice of rows as it is cut into batches (and to each slice of a resend
round), so a target suppressed after approval but before its batch is cut is still never
sent. Each rule is one set-based UPDATE over the slice: no query per row, and nothing at all
when the workspace has no suppressed target and no cap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.safety.models import CampaignSafety, Suppression
from pushadmin.workspaces.models import CapPeriod, Workspace

# Recorded in English; pages show them in the reader's language (pushadmin.console.code_meanings.in_language).
SUPPRESSED_NOTE = gettext_noop("On the workspace's suppression list: never sent.")
CAPPED_NOTE = gettext_noop("Held back by the workspace's frequency cap.")
# What counts towards the cap: messages mPaaS accepted (or may have) and that were not recalled.
COUNTED = (MessageStatus.ACCEPTED, MessageStatus.UNKNOWN)
PERIODS = {CapPeriod.DAY: timedelta(hours=24), CapPeriod.WEEK: timedelta(days=7)}


def suppressed_targets(workspace_id: int) -> QuerySet[Suppression]:
    return Suppression.objects.filter(workspace_id=workspace_id)


def has_cap_exception(campaign: Campaign) -> bool:
    return CampaignSafety.objects.filter(campaign_id=campaign.pk, cap_exception_at__isnull=False).exists()


def cap_applies(campaign: Campaign, workspace: Workspace) -> bool:
    return bool(workspace.cap_messages) and not has_cap_exception(campaign)


def over_cap(workspace: Workspace, campaign_id: int, candidates: QuerySet[Message]) -> QuerySet[Any, Any]:
    """Targets among `candidates` that already got the workspace's cap of messages in its period
    from other campaigns (a subquery: the caller's UPDATE or COUNT runs it in the database)."""
    since = timezone.now() - PERIODS.get(CapPeriod(workspace.cap_period), PERIODS[CapPeriod.DAY])
    return (
        Message.objects.filter(
            campaign__workspace_id=workspace.pk,
            status__in=COUNTED,
            updated_at__gte=since,
            target__in=candidates.values("target"),
        )
        .exclude(campaign_id=campaign_id)
        .order_by()
        .values("target")
        .annotate(n=Count("pk"))
        .filter(n__gte=workspace.cap_messages or 0)
        .values("target")
    )


def hold_back(campaign: Campaign, workspace: Workspace, rows: QuerySet[Message]) -> dict[str, int]:
    """Give the suppressed and capped rows among `rows` (unsent rows about to be cut) their final state.

    Returns how many rows each rule held back, also recorded in the audit trail when any was.
    """
    held: dict[str, int] = {}
    if suppressed_targets(workspace.pk).exists():
        suppressed = rows.filter(target__in=suppressed_targets(workspace.pk).values("target")).update(
            status=MessageStatus.SUPPRESSED, result_message=SUPPRESSED_NOTE, updated_at=timezone.now()
        )
        if suppressed:
            held["suppressed"] = suppressed
    if cap_applies(campaign, workspace):
        # `rows` filters on the unsent states, so rows the suppression just took are not taken twice.
        capped = rows.filter(target__in=over_cap(workspace, campaign.pk, rows)).update(
            status=MessageStatus.CAPPED, result_message=CAPPED_NOTE, updated_at=timezone.now()
        )
        if capped:
            held["capped"] = capped
    if held:
        trail.record("delivery.rows_held_back", workspace=workspace, obj=campaign, detail=held)
    return held


def preview_counts(campaign: Campaign) -> dict[str, int]:
    """How many of the campaign's rows the suppression list and the cap would hold back if it were cut now
    (none for the cap when a reviewer approved an exception to it)."""
    workspace = campaign.workspace
    rows = Message.objects.filter(campaign_id=campaign.pk, send_round=1)
    # Two counts each an index serves (campaign and state; target), not one OR that reads every row of
    # the campaign at each look at pre-flight (1.7 s at a million rows, with the list empty).
    suppressed = Q(status=MessageStatus.SUPPRESSED)
    counts = {"suppressed": rows.filter(suppressed).count(), "capped": 0}
    if suppressed_targets(workspace.pk).exists():
        listed = Q(target__in=suppressed_targets(workspace.pk).values("target"))
        counts["suppressed"] += rows.exclude(suppressed).filter(listed).count()
        suppressed |= listed
    if cap_applies(campaign, workspace):
        candidates = rows.exclude(suppressed)
        counts["capped"] = candidates.filter(
            Q(status=MessageStatus.CAPPED) | Q(target__in=over_cap(workspace, campaign.pk, candidates))
        ).count()
    return counts
