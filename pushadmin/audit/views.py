"""The auditor's history, the audit trail, CSV exports and the per-campaign evidence page and pack.

Auditors (and admins) see everything in their workspace and change nothing; the one POST
queues a check of their workspace's trail. Installation administrators check the whole chain.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pushadmin.accounts.access import get_in_workspace, installation_admin_view, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import AuthenticatedRequest, WorkspaceRequest
from pushadmin.audit import chain_checks, history, trail
from pushadmin.audit import evidence as campaign_evidence
from pushadmin.audit.exports import csv_response
from pushadmin.audit.models import ChainCheck
from pushadmin.campaigns.models import Campaign

READERS = (Role.AUDITOR, Role.ADMIN)
TIMELINE_ON_PAGE = 300
CALLS_ON_PAGE = 200


def _history(request: WorkspaceRequest, slug: str) -> HttpResponse:
    kind = history.KINDS[slug]
    form = history.HistoryFilter(request.GET or None, kind=kind)
    rows: list[object] = []
    next_before = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        before = history.parse_before(request.GET)
        result = history.page(kind.query(request.workspace, data), kind.key_for(data), before)
        rows, next_before = result.rows, result.next_before
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "kind": kind,
        "kinds": history.KINDS.values(),
        "form": form,
        "rows": [(row, [column.value(row) for column in kind.shown_columns]) for row in rows],
        "next_before": next_before,
        "query": query.urlencode(),
        "is_later_page": "before" in request.GET,
    }
    if slug == "trail":
        context.update(_chain_check_context(request, chain_checks.latest_check(request.workspace)))
    template = "audit/history.html#results" if request.htmx else "audit/history.html"
    response = render(request, template, context, status=200 if not form.errors else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@workspace_view(*READERS)
def campaign_history(request: WorkspaceRequest) -> HttpResponse:
    return _history(request, "campaigns")


@require_GET
@workspace_view(*READERS)
def message_history(request: WorkspaceRequest) -> HttpResponse:
    return _history(request, "messages")


@require_GET
@workspace_view(*READERS)
def call_history(request: WorkspaceRequest) -> HttpResponse:
    return _history(request, "calls")


@require_GET
@workspace_view(*READERS)
def figure_history(request: WorkspaceRequest) -> HttpResponse:
    return _history(request, "figures")


@require_GET
@workspace_view(*READERS)
def trail_history(request: WorkspaceRequest) -> HttpResponse:
    return _history(request, "trail")


def _chain_check_context(request: WorkspaceRequest, check: ChainCheck | None) -> dict[str, object]:
    poll_url = reverse("audit:trail_check", kwargs={"workspace_id": request.workspace.pk})
    return {"check": check, "check_scope": "of this workspace", "check_poll_url": poll_url}


@require_POST
@workspace_view(*READERS)
def trail_verify(request: WorkspaceRequest) -> HttpResponse:
    """Queue a check of the workspace's entries; the trail page shows it and its result."""
    check = chain_checks.request_check(request.workspace, request.user)
    if request.htmx:
        return render(request, "audit/chain_check.html", _chain_check_context(request, check))
    return redirect("audit:trail", workspace_id=request.workspace.pk)


@require_GET
@workspace_view(*READERS)
def trail_check(request: WorkspaceRequest) -> HttpResponse:
    """The latest check of the workspace's entries, polled while it runs."""
    check = chain_checks.latest_check(request.workspace)
    return render(request, "audit/chain_check.html", _chain_check_context(request, check))


@require_http_methods(["GET", "POST"])
@installation_admin_view
def installation_chain(request: AuthenticatedRequest) -> HttpResponse:
    """The whole chain, every workspace's entries and those of none, checked by a worker."""
    if request.method == "POST":
        chain_checks.request_check(None, request.user)
        return redirect("audit:installation_chain")
    context = {
        "check": chain_checks.latest_check(None),
        "check_scope": "of the installation",
        "check_poll_url": reverse("audit:installation_chain"),
    }
    template = "audit/chain_check.html" if request.htmx else "audit/installation_chain.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@workspace_view(*READERS)
def export(request: WorkspaceRequest, kind: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered list as CSV, every row (not just one page), streamed."""
    if kind not in history.KINDS:
        raise Http404("No such list")
    spec = history.KINDS[kind]
    form = history.HistoryFilter(request.GET, kind=spec)
    if not form.is_valid():
        return _history(request, kind)
    query = spec.query(request.workspace, form.cleaned_data)
    rows = history.every_row(query, spec.key_for(form.cleaned_data))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(
        f"pushadmin-{kind}-{stamp}.csv",
        [str(column.heading) for column in spec.columns],
        ([column.value(row) for column in spec.columns] for row in rows),
    )


def _campaign(request: WorkspaceRequest, campaign_id: int) -> Campaign:
    queryset = Campaign.objects.select_related("workspace", "template", "created_by", "audience")
    return get_in_workspace(request, queryset, pk=campaign_id)


@require_GET
@workspace_view(*READERS)
def evidence(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    timeline = list(campaign_evidence.checked_trail(campaign, limit=TIMELINE_ON_PAGE))
    context = {
        "campaign": campaign,
        "timeline": timeline,
        "timeline_total": campaign_evidence.campaign_entries(campaign).count(),
        "approvals": campaign_evidence.approvals_of(campaign),
        "outcomes": campaign_evidence.outcome_counts(campaign),
        "calls": campaign_evidence.calls_of(campaign)[:CALLS_ON_PAGE],
        "calls_total": campaign_evidence.calls_of(campaign).count(),
        "message_rows": history.page(campaign.messages.order_by(), "seq", None, newest_first=False).rows,
        "all_hashes_ok": all(item.hash_ok and item.linked for item in timeline),
    }
    return render(request, "audit/evidence.html", context)


@require_GET
@workspace_view(*READERS)
def evidence_pack(request: WorkspaceRequest, campaign_id: int) -> StreamingHttpResponse:
    campaign = _campaign(request, campaign_id)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    trail.record("campaign.evidence_exported", request=request, workspace=campaign.workspace, obj=campaign)
    response = StreamingHttpResponse(
        campaign_evidence.evidence_pack(campaign, request.user.get_username()), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="evidence-campaign-{campaign.pk}-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    return response
