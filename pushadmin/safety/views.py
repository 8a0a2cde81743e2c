"""Safety pages: the suppression list, recalling a campaign, and a campaign's service-notice flag."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audiences.csv_reading import CsvFileError
from pushadmin.campaigns.models import Campaign
from pushadmin.console.recorded_reasons import readable
from pushadmin.safety import flags, recalling, suppressing
from pushadmin.safety.forms import RecallForm, RemovalForm, SuppressionForm, SuppressionImportForm
from pushadmin.safety.models import Recall, RecallStatus, Suppression, SuppressionReason

READERS = tuple(Role.values)
# Adding a target can only make sending safer: whoever works on campaigns may do it.
ADDERS = (Role.MARKETER, Role.REVIEWER, Role.ADMIN)
# Taking one off means messaging someone who asked not to be: reviewers and admins only.
REMOVERS = (Role.REVIEWER, Role.ADMIN)
RECALLERS = (Role.REVIEWER, Role.ADMIN)
PAGE_SIZE = 50


def _list_page(request: WorkspaceRequest, **forms: Any) -> HttpResponse:
    entries = Suppression.objects.filter(workspace=request.workspace).select_related("added_by")
    query = request.GET.get("q", "").strip()[:128]
    if query:
        entries = entries.filter(target__icontains=query)
    reason = request.GET.get("reason", "")
    if reason in SuppressionReason.values:
        entries = entries.filter(reason=reason)
    context = {
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query,
        "reason_filter": reason,
        "reasons": SuppressionReason.choices,
        "may_add": bool(request.roles.intersection(ADDERS)),
        "may_remove": bool(request.roles.intersection(REMOVERS)),
        "add_form": forms.get("add_form") or SuppressionForm(),
        "import_form": forms.get("import_form") or SuppressionImportForm(),
        "report": forms.get("report"),
    }
    return render(request, "safety/suppressions.html", context, status=forms.get("status", 200))


@require_GET
@workspace_view(*READERS)
def suppressions(request: WorkspaceRequest) -> HttpResponse:
    return _list_page(request)


@require_POST
@workspace_view(*ADDERS)
def add_suppression(request: WorkspaceRequest) -> HttpResponse:
    form = SuppressionForm(request.POST)
    if form.is_valid():
        try:
            suppressing.add(request, request.workspace, **form.cleaned_data)
        except suppressing.SuppressionRefused as refusal:
            form.add_error(refusal.field, str(refusal))
        else:
            messages.success(
                request,
                _("“%(target)s” will never be sent a message from here.") % {"target": form.cleaned_data["target"]},
            )
            return redirect("safety:suppressions", workspace_id=request.workspace.pk)
    return _list_page(request, add_form=form, status=400)


@require_POST
@workspace_view(*ADDERS)
def import_suppressions(request: WorkspaceRequest) -> HttpResponse:
    form = SuppressionImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, import_form=form, status=400)
    upload = form.cleaned_data["upload"]
    try:
        report = suppressing.import_csv(
            request, request.workspace, upload, file_name=upload.name, default_reason=form.cleaned_data["reason"]
        )
    except CsvFileError as problem:
        form.add_error("upload", _("Nothing was added: %(problem)s") % {"problem": readable(str(problem))})
        return _list_page(request, import_form=form, status=400)
    return _list_page(request, report=report)


@require_POST
@workspace_view(*REMOVERS)
def remove_suppression(request: WorkspaceRequest, suppression_id: int) -> HttpResponse:
    entry = get_in_workspace(request, Suppression, pk=suppression_id)
    form = RemovalForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("“%(target)s” stays on the list: say why it may be messaged again.") % {"target": entry.target}
        )
    else:
        suppressing.remove(request, entry, why=form.cleaned_data["why"])
        messages.success(request, _("“%(target)s” was taken off the suppression list.") % {"target": entry.target})
    return redirect("safety:suppressions", workspace_id=request.workspace.pk)


def _recall_page(request: WorkspaceRequest, campaign: Campaign, form: RecallForm | None = None) -> HttpResponse:
    latest = Recall.objects.filter(campaign=campaign).select_related("requested_by").first()
    context = {
        "campaign": campaign,
        "form": form or RecallForm(),
        "why_not": recalling.why_not(campaign),
        "may_recall": bool(request.roles.intersection(RECALLERS)),
        "recall": latest,
        "figures": recalling.counts(latest) if latest else None,
        "tasks": latest.tasks.all()[:500] if latest else [],
    }
    if request.htmx and latest is not None:
        response = render(request, "safety/recall.html#recall-progress", context)
        if latest.status == RecallStatus.DONE:
            response["HX-Refresh"] = "true"  # finished: the whole page says what is possible now
        return response
    return render(request, "safety/recall.html", context, status=400 if form is not None else 200)


@require_GET
@workspace_view(*READERS)
@vary_on_headers("HX-Request")
def recall(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    return _recall_page(request, get_in_workspace(request, Campaign, pk=campaign_id))


@require_POST
@workspace_view(*RECALLERS)
def start_recall(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    form = RecallForm(request.POST)
    if form.is_valid():
        try:
            recalling.start(campaign, request=request, reason=form.cleaned_data["reason"])
        except recalling.RecallRefused as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(request, _("Recalling “%(name)s” from phones.") % {"name": campaign.name})
            return redirect("safety:recall", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    return _recall_page(request, campaign, form)


@require_POST
@workspace_view(Role.MARKETER)
def service_notice(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, Campaign, pk=campaign_id)
    on = request.POST.get("service_notice") == "on"
    try:
        flags.set_service_notice(campaign, request=request, on=on)
    except flags.FlagRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Marked as a service notice: it may send during quiet hours.") if on else _("Marked as marketing."),
        )
    return redirect("campaigns:detail", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
