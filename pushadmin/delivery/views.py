"""The sending progress page and the pause / resume / cancel / resend-failed buttons on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from pushadmin.accounts.access import RoleCheckedView, get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.campaigns.lifecycle import TransitionRefused
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import controls, scheduling, unknowns
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.delivery.progress import campaign_progress

VIEWERS = (Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)
OPERATORS = (Role.MARKETER, Role.ADMIN)
# An emergency stop is for anyone who may judge what goes out, not only the campaign's makers.
STOPPERS = (Role.MARKETER, Role.REVIEWER, Role.ADMIN)
PAGE_SIZE = 50


def _messages_page(request: WorkspaceRequest, campaign: Campaign) -> dict[str, Any]:
    rows = Message.objects.filter(campaign=campaign).order_by("seq")
    status = request.GET.get("status", "")
    if status in MessageStatus.values:
        rows = rows.filter(status=status)
    query = request.GET.get("q", "").strip()[:128]
    if query:
        rows = rows.filter(Q(target__icontains=query) | Q(msg_key__icontains=query) | Q(request_id=query))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "status_filter": status, "query": query, "statuses": MessageStatus.choices}


@require_GET
@workspace_view(*VIEWERS)
def progress(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign.objects.select_related("template"), pk=campaign_id)
    context: dict[str, Any] = {
        "campaign": campaign,
        "progress": campaign_progress(campaign),
        "may_operate": bool(request.roles.intersection(OPERATORS)),
        "may_stop": bool(request.roles.intersection(STOPPERS)),
        "resendable": controls.resendable(campaign),
        "refused_own": controls.refused_for_own_content(campaign),
        "undecided_unknown": unknowns.undecided(campaign).count(),
        "plan": scheduling.scheduling_plan(campaign) if campaign.status == CampaignStatus.SCHEDULED else None,
        **_messages_page(request, campaign),
    }
    if not request.htmx:
        response = render(request, "delivery/progress.html", context)
    elif request.htmx.target == "messages":
        response = render(request, "delivery/progress.html#messages", context)
    else:
        # A poll: the live figures, and the table out of band so its statuses keep up too.
        fragments = [
            render_to_string("delivery/progress.html#live", context, request),
            render_to_string("delivery/progress.html#messages", {**context, "out_of_band": True}, request),
        ]
        response = HttpResponse("".join(fragments))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _operate(action: Callable[..., Campaign], done: str, roles: tuple[str, ...] = OPERATORS) -> RoleCheckedView:
    @require_POST
    @workspace_view(*roles)
    def view(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
        campaign = get_in_workspace(request, Campaign, pk=campaign_id)
        try:
            action(campaign, request=request)
        except TransitionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, done.format(name=campaign.name))
        return redirect("delivery:progress", workspace_id=request.workspace.pk, campaign_id=campaign.pk)

    view.__name__ = action.__name__
    return view


pause = _operate(
    controls.pause, "“{name}” is paused: no new call starts; calls already on their way are recorded.", STOPPERS
)
resume = _operate(controls.resume, "“{name}” is sending again from where it stopped.")
cancel = _operate(controls.cancel, "“{name}” is cancelled; unsent messages are marked cancelled.", STOPPERS)
resend_failed = _operate(controls.resend_failed, "Rejected messages of “{name}” are being sent again with new MsgKeys.")
