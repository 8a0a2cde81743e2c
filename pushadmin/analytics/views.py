"""The campaign figures page, the workspace analytics page with its CSV, and the vendor limits form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.analytics import forecast, funnel, sync, trend
from pushadmin.audit import exports, trail
from pushadmin.campaigns.models import Campaign

READERS = (Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)
REFRESHERS = (Role.MARKETER, Role.REVIEWER, Role.ADMIN)


@require_GET
@workspace_view(*READERS)
def campaign_figures(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign.objects.select_related("template"), pk=campaign_id)
    context = {
        "campaign": campaign,
        "figures": funnel.campaign_figures(campaign),
        "may_refresh": bool(request.roles.intersection(REFRESHERS)),
    }
    return render(request, "analytics/campaign.html", context)


@require_POST
@workspace_view(*REFRESHERS)
def refresh_figures(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    sync.read_now(campaign)
    trail.record("analytics.refresh_asked", request=request, workspace=request.workspace, obj=campaign)
    messages.success(request, gettext("The figures will be read from mPaaS in the next minute."))
    return redirect("analytics:campaign", workspace_id=request.workspace.pk, campaign_id=campaign.pk)


@require_GET
@workspace_view(*READERS)
def workspace_figures(request: WorkspaceRequest) -> HttpResponse:
    choice = trend.Filters.from_query(request.GET)
    context = {
        "filters": choice,
        "choices": trend.CHOICES,
        "trend": trend.daily_trend(request.workspace, choice),
        "campaigns": trend.compared(request.workspace, choice),
        "may_set_limits": Role.ADMIN in request.roles,
        "limits": forecast.limits_of(request.workspace),
        "limit_form": forecast.VendorLimitForm(),
    }
    return render(request, "analytics/workspace.html", context)


@require_GET
@workspace_view(*READERS)
def workspace_figures_csv(request: WorkspaceRequest) -> StreamingHttpResponse:
    choice = trend.Filters.from_query(request.GET)
    trail.record(
        "analytics.exported", request=request, workspace=request.workspace, detail={"filters": choice.as_dict()}
    )
    return exports.csv_response("delivery-figures.csv", trend.CSV_HEADER, trend.csv_rows(request.workspace, choice))


@require_POST
@workspace_view(Role.ADMIN)
def save_vendor_limit(request: WorkspaceRequest) -> HttpResponse:
    form = forecast.VendorLimitForm(request.POST)
    if form.is_valid():
        forecast.save_limit(request, form)
        messages.success(request, gettext("The vendor's daily limit for this app is saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label or field}: {' '.join(str(error) for error in errors)}")
    return redirect("analytics:workspace", workspace_id=request.workspace.pk)
