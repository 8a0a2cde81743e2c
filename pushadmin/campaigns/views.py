"""Campaign pages: the list, the one-page builder, the detail page with submit, and test send."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from pushadmin.accounts import limits
from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.campaigns import duplicating, workflow
from pushadmin.campaigns.builder_page import builder_context, detail_context, next_run_labels, snapshot
from pushadmin.campaigns.forms import CampaignForm
from pushadmin.campaigns.lifecycle import TransitionRefused
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.preflight import preflight
from pushadmin.campaigns.rows import replace_rows_from_audience
from pushadmin.campaigns.settings_forms import ChannelOptionsForm, StrategyForm
from pushadmin.campaigns.strategy import Strategy, summary
from pushadmin.campaigns.test_send import send_test
from pushadmin.console.request_numbers import is_whole_number
from pushadmin.safety import quiet
from pushadmin.workspaces.encryption import SecretUnreadable

READERS = (Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)
BUILDER_ALSO_SAVES = ("fallback_values", "options", "strategy", "updated_at")
CAMPAIGNS = Campaign.objects.select_related("template", "audience", "workspace")


def settings_forms(
    request: WorkspaceRequest, campaign: Campaign, *, bound: bool = True
) -> tuple[CampaignForm, ChannelOptionsForm, StrategyForm]:
    data = request.POST if bound and request.method == "POST" else None
    workspace = request.workspace
    return (
        CampaignForm(data, instance=campaign, workspace=workspace),
        ChannelOptionsForm(data, initial_options=ChannelOptions.from_json(campaign.options)),
        StrategyForm(data, initial_strategy=Strategy.from_json(campaign.strategy)),
    )


def _apply(campaign: Campaign, forms: tuple[CampaignForm, ChannelOptionsForm, StrategyForm]) -> Campaign:
    form, options_form, strategy_form = forms
    campaign = form.save(commit=False)
    campaign.fallback_values = form.fallback_values()
    campaign.options = options_form.to_options().to_json()
    campaign.strategy = strategy_form.to_strategy().to_json()
    return campaign


def create_campaign(
    request: WorkspaceRequest, forms: tuple[CampaignForm, ChannelOptionsForm, StrategyForm]
) -> Campaign:
    """Create a campaign from valid builder forms (rows from its audience, if any), audited; the API calls it too."""
    with transaction.atomic():
        campaign = _apply(forms[0].instance, forms)
        campaign.save()
        campaign.editors.add(request.user)
        replace_rows_from_audience(campaign)
        trail.record(
            "campaign.created", request=request, workspace=campaign.workspace, obj=campaign, after=snapshot(campaign)
        )
    return campaign


def submit_campaign(request: WorkspaceRequest, campaign: Campaign) -> Campaign:
    """Send a draft to review, refused with the pre-flight's reasons while it blocks; the API calls it too."""
    report = preflight(campaign, scan_cold=False)  # a request never reads a million rows: a worker does
    if report.blocks_submission:
        # The detail page runs the same preflight and lists every reason and row.
        raise TransitionRefused("Not submitted: " + " ".join(report.block_reasons))
    return workflow.submit_for_review(campaign, request=request)


@require_GET
@workspace_view(*READERS)
def campaign_list(request: WorkspaceRequest) -> HttpResponse:
    # A draft whose current revision a reviewer rejected says so in the list (comment kind by value:
    # reviews builds on campaigns, not the reverse).
    rejected_now = Q(review_comments__kind="rejection", review_comments__revision=F("revision"), status="draft")
    campaigns = (
        CAMPAIGNS.filter(workspace=request.workspace)
        .annotate(rejections=Count("review_comments", filter=rejected_now))
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    context = {"campaigns": campaigns[:200], "statuses": CampaignStatus.choices, "status": status}
    return render(request, "campaigns/campaign_list.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
def campaign_create(request: WorkspaceRequest) -> HttpResponse:
    campaign = Campaign(workspace=request.workspace, created_by=request.user)
    forms = settings_forms(request, campaign)
    if request.method == "POST" and all(f.is_valid() for f in forms):
        campaign = create_campaign(request, forms)
        messages.success(
            request, _("Campaign “%(name)s” created. Add or check its rows below.") % {"name": campaign.name}
        )
        return redirect("campaigns:edit", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    return render(request, "campaigns/builder.html", builder_context(request, None, forms))


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
def campaign_edit(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    if campaign.status not in workflow.EDITABLE_STATES:
        state = campaign.get_status_display().lower()
        if request.method == "POST":
            messages.error(
                request,
                _("“%(name)s” is %(state)s; it can no longer be edited.") % {"name": campaign.name, "state": state},
            )
        else:
            messages.info(
                request,
                _("“%(name)s” is %(state)s: this page shows it as approved. Duplicate it to start a new draft.")
                % {"name": campaign.name, "state": state},
            )
        return redirect("campaigns:detail", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    # Read before validating: a bound ModelForm copies the posted values onto the campaign.
    before, audience_before = snapshot(campaign), campaign.audience_id
    forms = settings_forms(request, campaign)
    if request.method == "POST" and all(f.is_valid() for f in forms):
        try:
            with transaction.atomic():
                campaign = _apply(campaign, forms)
                # Only what the builder edits: a full save would write back a status or row-build
                # state read at the start of this request over a change made since.
                campaign.save(update_fields=[*CampaignForm.Meta.fields, *BUILDER_ALSO_SAVES])
                if campaign.audience_id != audience_before:
                    replace_rows_from_audience(campaign)
                after = snapshot(campaign)
                if after != before:
                    workflow.record_edit(campaign, request=request, before=before, after=after)
        except (workflow.EditRefused, TransitionRefused) as exc:
            messages.error(request, str(exc))
            return redirect("campaigns:detail", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
        messages.success(request, _("Campaign saved.") if after != before else _("Nothing changed."))
        return redirect("campaigns:edit", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    return render(request, "campaigns/builder.html", builder_context(request, campaign, forms))


@require_GET
@workspace_view(*READERS)
def campaign_detail(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    report = preflight(campaign, scan_cold=False)  # a large campaign's rows are scanned by a worker
    return render(request, "campaigns/detail.html", detail_context(request, campaign, report))


@require_POST
@workspace_view(Role.MARKETER)
def campaign_submit(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    try:
        submit_campaign(request, campaign)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s” is waiting for review.") % {"name": campaign.name})
    return redirect("campaigns:detail", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)


@require_POST
@workspace_view(Role.MARKETER)
@vary_on_headers("HX-Request")
def strategy_preview(request: WorkspaceRequest) -> HttpResponse:
    """Summary, next runs and problems of the schedule as typed (nothing saved)."""
    form = StrategyForm(request.POST)
    valid = form.is_valid()
    strategy = form.to_strategy() if hasattr(form, "cleaned_data") else Strategy()
    context: dict[str, Any] = {
        "strategy_form": form,
        "strategy_summary": summary(strategy) if valid else "",
        "next_runs": next_run_labels(strategy) if valid else [],
        "quiet_warning": quiet.schedule_warning(request.workspace, strategy) if valid else None,
    }
    return render(request, "campaigns/builder.html#strategy-summary", context)


@require_POST
@workspace_view(Role.MARKETER)
@vary_on_headers("HX-Request")
def campaign_test_send(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    target = (request.POST.get("test_target") or "").strip()
    row_text = (request.POST.get("test_row") or "").strip()
    context: dict[str, Any] = {"campaign": campaign, "test_target": target, "test_row": row_text}
    if row_text and not is_whole_number(row_text):
        context["test_error"] = "The row must be a row number, such as 1."
    elif not target and not row_text:
        context["test_error"] = "Enter the device or user id to send the test to, or pick a row to send to its target."
    else:
        try:
            limits.check_and_count(request.user, "campaign.test_send", settings.PUSHADMIN_TEST_SENDS_PER_HOUR)
            row = int(row_text) if row_text else None
            context["test_answer"] = send_test(campaign, target, request=request, row=row)
        except (ValueError, limits.LimitReached, SecretUnreadable) as exc:
            context["test_error"] = str(exc)
    if request.htmx:
        return render(request, "campaigns/builder.html#test-send", context)
    forms = settings_forms(request, campaign, bound=False)
    return render(request, "campaigns/builder.html", {**builder_context(request, campaign, forms), **context})


@require_POST
@workspace_view(Role.MARKETER)
def campaign_duplicate(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    copy = duplicating.duplicate_campaign(campaign, request=request)
    messages.success(
        request,
        _("“%(name)s” is a new draft with %(rows_expected)s rows, each with its own MsgKey.")
        % {"name": copy.name, "rows_expected": f"{copy.rows_expected:,}"},
    )
    return redirect("campaigns:edit", workspace_id=copy.workspace_id, campaign_id=copy.pk)
