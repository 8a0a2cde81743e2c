"""The review queue and the review page: approve, reject with a reason, comment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.strategy import Strategy, summary
from pushadmin.reviews import approving, four_eyes, pack
from pushadmin.reviews.forms import CommentForm, RejectForm
from pushadmin.workspaces.models import Workspace

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

READERS = (Role.REVIEWER, Role.MARKETER, Role.AUDITOR)


def waiting(workspace: Workspace) -> QuerySet[WithAnnotations[Campaign]]:
    """Campaigns waiting for review, oldest submission first."""
    return (
        Campaign.objects.filter(workspace=workspace, status=CampaignStatus.IN_REVIEW)
        .select_related("created_by", "template")
        .annotate(
            rows=Count("messages", distinct=True),
            approvals_given=Count("approvals", filter=Q(approvals__voided_at=None), distinct=True),
        )
        .order_by("submitted_at", "id")
    )


@require_GET
@workspace_view(Role.REVIEWER)
def queue(request: WorkspaceRequest) -> HttpResponse:
    campaigns = list(waiting(request.workspace))
    for campaign in campaigns:
        # Shown per row by the queue template; not a field of the model.
        campaign.refusal = approving.why_cannot_approve(campaign, request.user)  # type: ignore[attr-defined]
    return render(request, "reviews/queue.html", {"campaigns": campaigns})


def _next_in_queue(request: WorkspaceRequest, campaign: Campaign) -> Campaign | None:
    return waiting(request.workspace).exclude(pk=campaign.pk).first()


def _page(request: WorkspaceRequest, campaign: Campaign, **forms: Any) -> HttpResponse:
    samples, report = pack.samples_and_report(campaign)
    previous = pack.last_approved(campaign)
    row_changes = pack.rows_diff_against(previous, campaign)
    context = {
        "campaign": campaign,
        "samples": samples,
        "report": report,
        "options": ChannelOptions.from_json(campaign.options).plain_words(),
        "schedule": summary(Strategy.from_json(campaign.strategy)),
        "previous": previous,
        "changes": pack.diff_against(previous, campaign, row_changes),
        "row_changes": row_changes,
        "approvals": campaign.approvals.select_related("reviewer").order_by("created_at"),
        "live_approvals": approving.live_approvals(campaign),
        "comments": campaign.review_comments.select_related("author"),
        "refusal": approving.why_cannot_approve(campaign, request.user),
        "excluded_people": four_eyes.excluded_people(campaign),
        "may_decide": Role.REVIEWER in request.roles,
        "next_campaign": _next_in_queue(request, campaign),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
    }
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "reviews/review.html", context, status=status)


@require_GET
@workspace_view(*READERS)
def review(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign.objects.select_related("template", "audience"), pk=campaign_id)
    return _page(request, campaign)


@require_POST
@workspace_view(Role.REVIEWER)
def approve(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    try:
        campaign = approving.approve(
            campaign,
            request=request,
            shown=approving.Shown.from_post(request.POST),
            cap_exception=request.POST.get("cap_exception", "")[:300],
        )
    except approving.ReviewRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("reviews:review", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    if campaign.status == CampaignStatus.IN_REVIEW:
        messages.success(
            request, _("Your approval of “%(name)s” is recorded; it needs one more reviewer.") % {"name": campaign.name}
        )
    else:
        messages.success(request, _("“%(name)s” is approved.") % {"name": campaign.name})
    return _to_next(request, campaign)


def _to_next(request: WorkspaceRequest, campaign: Campaign) -> HttpResponse:
    following = _next_in_queue(request, campaign)
    if following is None:
        return redirect("reviews:queue", workspace_id=campaign.workspace_id)
    return redirect("reviews:review", workspace_id=campaign.workspace_id, campaign_id=following.pk)


@require_POST
@workspace_view(Role.REVIEWER)
def reject(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign.objects.select_related("template", "audience"), pk=campaign_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _page(request, campaign, reject_form=form)
    try:
        campaign = approving.reject(
            campaign,
            request=request,
            reason=form.cleaned_data["reason"],
            shown=approving.Shown.from_post(request.POST),
        )
    except approving.ReviewRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("reviews:review", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    messages.success(request, _("“%(name)s” went back to draft with your reason.") % {"name": campaign.name})
    return _to_next(request, campaign)


@require_http_methods(["POST"])
@workspace_view(Role.REVIEWER, Role.MARKETER)
def comment(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign.objects.select_related("template", "audience"), pk=campaign_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        approving.add_comment(campaign, request=request, body=form.cleaned_data["body"])
        form = CommentForm()
    elif not request.htmx:
        return _page(request, campaign, comment_form=form)
    if request.htmx:
        context = {"campaign": campaign, "comments": campaign.review_comments.select_related("author")}
        response = render(request, "reviews/review.html#comments", {**context, "comment_form": form})
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect("reviews:review", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
