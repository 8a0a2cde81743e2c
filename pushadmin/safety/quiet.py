"""Quiet hours: a daily window, in the workspace's time zone, in which marketing campaigns start no calls.

A sending campaign that reaches the window pauses itself with that reason; the beat job
`resume_after_quiet_hours` resumes it once the window has ended. A campaign flagged as a
service notice sends through it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.campaigns.lifecycle import TransitionRefused, transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.strategy import Strategy, run_times
from pushadmin.console import recorded_reasons
from pushadmin.safety.models import CampaignSafety
from pushadmin.workspaces.models import Workspace

logger = logging.getLogger(__name__)

# How a quiet-hours pause's reason starts: the beat job resumes only the campaigns it paused.
PAUSE_PREFIX = "Quiet hours"
# Fixed times and loop runs the strategy warning looks at.
CHECKED_RUNS = 50


def has_quiet_hours(workspace: Workspace) -> bool:
    return workspace.quiet_hours_start is not None and workspace.quiet_hours_end is not None


def window_text(workspace: Workspace) -> str:
    if not has_quiet_hours(workspace):
        return ""
    start, end = workspace.quiet_hours_start, workspace.quiet_hours_end
    assert start is not None and end is not None
    return _("%(start)s to %(end)s %(zone)s") % {
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "zone": workspace.time_zone,
    }


def in_window(at: time, start: time, end: time) -> bool:
    """Whether a local time of day falls in [start, end); a window may run past midnight."""
    if start < end:
        return start <= at < end
    return at >= start or at < end


def is_quiet(workspace: Workspace, now: datetime | None = None) -> bool:
    if not has_quiet_hours(workspace):
        return False
    assert workspace.quiet_hours_start is not None and workspace.quiet_hours_end is not None
    local = (now or timezone.now()).astimezone(ZoneInfo(workspace.time_zone))
    return in_window(local.time(), workspace.quiet_hours_start, workspace.quiet_hours_end)


def quiet_until(workspace: Workspace, now: datetime | None = None) -> datetime | None:
    """When the current quiet window ends (aware), or None when it is not quiet now."""
    now = now or timezone.now()
    if not is_quiet(workspace, now):
        return None
    assert workspace.quiet_hours_end is not None
    zone = ZoneInfo(workspace.time_zone)
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), workspace.quiet_hours_end, tzinfo=zone)
    if end <= local:
        end += timedelta(days=1)
    return end


def is_service_notice(campaign_id: int) -> bool:
    return CampaignSafety.objects.filter(campaign_id=campaign_id, service_notice=True).exists()


def holds(campaign: Campaign, now: datetime | None = None) -> bool:
    """Whether quiet hours stop this campaign's calls now (its workspace must be loaded)."""
    return is_quiet(campaign.workspace, now) and not is_service_notice(campaign.pk)


def pause_for_quiet_hours(campaign: Campaign, now: datetime | None = None) -> bool:
    """Pause a sending campaign that reached its workspace's quiet hours; False when it was not sending."""
    workspace = campaign.workspace
    until = quiet_until(workspace, now)
    start, end = workspace.quiet_hours_start, workspace.quiet_hours_end
    window = {
        "start": f"{start:%H:%M}" if start else "",
        "end": f"{end:%H:%M}" if end else "",
        "zone": workspace.time_zone,
    }
    if until:
        reason = recorded_reasons.written(recorded_reasons.QUIET_HOURS_UNTIL, resume=f"{until:%H:%M}", **window)
    else:
        reason = recorded_reasons.written(recorded_reasons.QUIET_HOURS, **window)
    try:
        transition(
            campaign,
            CampaignStatus.PAUSED,
            action="campaign.auto_paused",
            expected=[CampaignStatus.SENDING],
            changes={"pause_reason": reason[:300]},
            detail={"reason": reason, "quiet_hours": window_text(workspace)},
        )
    except TransitionRefused:
        return False
    return True


def resume_after_quiet_hours(now: datetime | None = None) -> list[int]:
    """Resume the campaigns quiet hours paused whose window has ended (the beat job)."""
    from pushadmin.delivery import controls

    resumed = []
    paused = Campaign.objects.filter(
        status=CampaignStatus.PAUSED, pause_reason__startswith=PAUSE_PREFIX
    ).select_related("workspace")
    for campaign in paused:
        if is_quiet(campaign.workspace, now):
            continue
        try:
            controls.resume(campaign, request=None)
        except TransitionRefused:
            continue
        resumed.append(campaign.pk)
    if resumed:
        logger.info("campaigns %s resumed after quiet hours", resumed)
    return resumed


def schedule_warning(workspace: Workspace, strategy: Strategy, now: datetime | None = None) -> str | None:
    """A sentence when a fixed time or a loop run of the schedule falls in the quiet hours (for a marketing
    campaign: a service notice sends through them)."""
    if not has_quiet_hours(workspace):
        return None
    runs = run_times(strategy, now=now or datetime.now(UTC), limit=CHECKED_RUNS)
    quiet = [run for run in runs if is_quiet(workspace, run)]
    if not quiet:
        return None
    first = quiet[0].astimezone(ZoneInfo(workspace.time_zone))
    return _(
        "%(quiet)s of the schedule's next %(runs)s send time(s) fall in the workspace's quiet hours (%(window)s), "
        "first %(first)s: the campaign would pause until they end. Move the time, or mark the campaign as a "
        "service notice if it is not marketing."
    ) % {"quiet": len(quiet), "runs": len(runs), "window": window_text(workspace), "first": f"{first:%Y-%m-%d %H:%M}"}
