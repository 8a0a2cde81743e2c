"""The page where a reviewer or an admin decides about messages whose outcome is unknown."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.campaigns.models import Campaign
from pushadmin.console.request_numbers import is_whole_number, page_number_from
from pushadmin.delivery import unknowns

DECIDERS = (Role.REVIEWER, Role.ADMIN)
READERS = (Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)
PAGE_SIZE = 100


def _row_numbers(values: list[str]) -> list[int] | None:
    """Row numbers as posted, or None when one is not a row number."""
    if not all(map(is_whole_number, values)):
        return None
    return [int(value) for value in values]


@require_GET
@workspace_view(*READERS)
def unknown_outcomes(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    rows = unknowns.unknown_rows(campaign).order_by("seq")
    context = {
        "campaign": campaign,
        "page": Paginator(rows, PAGE_SIZE).get_page(page_number_from(request.GET)),
        "undecided": unknowns.undecided(campaign).count(),
        "may_decide": bool(request.roles.intersection(DECIDERS)),
        "decidable": campaign.status in unknowns.DECIDABLE,
        "left_note": unknowns.LEFT_NOTE,
    }
    return render(request, "delivery/unknown.html", context)


@require_POST
@workspace_view(*DECIDERS)
def decide_unknown(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    back = redirect("delivery:unknown", workspace_id=request.workspace.pk, campaign_id=campaign.pk)
    seqs = None
    if request.POST.get("scope") == "selected":
        seqs = _row_numbers(request.POST.getlist("seq"))
        if not seqs:
            messages.error(request, _("Tick the messages to decide about, or choose “every unknown message”."))
            return back
    try:
        count = unknowns.decide(
            campaign,
            request=request,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", "")[:500],
            seqs=seqs,
        )
    except unknowns.DecisionRefused as refused:
        messages.error(request, str(refused))
        return back
    if request.POST.get("decision") == unknowns.RESEND:
        messages.success(
            request, _("%(count)s message(s) are being sent again with their own MsgKeys.") % {"count": count}
        )
        return redirect("delivery:progress", workspace_id=request.workspace.pk, campaign_id=campaign.pk)
    messages.success(
        request, _("%(count)s message(s) are left as unknown, with your reason on record.") % {"count": count}
    )
    return back
