"""Template pages: a mirror of the mPaaS console's templates, with a live phone preview."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.campaigns import duplicating, mpaas_sync, rendering, workflow
from pushadmin.campaigns.forms import TemplateForm
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template

READERS = (Role.MARKETER, Role.REVIEWER, Role.AUDITOR)


def _preview_context(form: TemplateForm) -> dict[str, object]:
    title = form.data.get("title", "") if form.is_bound else form.instance.title
    content = form.data.get("content", "") if form.is_bound else form.instance.content
    rendered = rendering.render(title or "", content or "", form.sample_values())
    return {
        "form": form,
        "rendered": rendered,
        "phones": [rendered.truncated(vendor) for vendor in rendering.VENDOR_LIMITS],
        "placeholders": form.placeholder_names(),
    }


@require_GET
@workspace_view(*READERS)
def template_list(request: WorkspaceRequest) -> HttpResponse:
    templates = Template.objects.filter(workspace=request.workspace)
    rows = [(t, rendering.template_placeholders(t.title, t.content)) for t in templates]
    return render(request, "campaigns/template_list.html", {"rows": rows})


# Campaigns that may still send (a "resend failed only" round included) must keep the approved text.
LOCKING_STATES = [
    CampaignStatus.SCHEDULED,
    CampaignStatus.SENDING,
    CampaignStatus.PAUSED,
    CampaignStatus.PARTLY_SENT,
    CampaignStatus.FAILED,
]


class TemplateLocked(Exception):
    """The text would change while campaigns using the template may still send."""


def save_template(request: WorkspaceRequest, form: TemplateForm, action: str) -> Template:
    """Save a valid form's template (created or edited) with its audit entry; the API calls it too.

    A change of text voids the approvals of the campaigns that use it; it is refused while one
    of them may still send.
    """
    old = Template.objects.filter(pk=form.instance.pk).values("name", "title", "content").first()
    before: Mapping[str, Any] = old or {}
    template = form.instance
    users = Campaign.objects.filter(template=template) if template.pk else Campaign.objects.none()
    locked = [c.name for c in users.filter(status__in=LOCKING_STATES)]
    text_changed = old is not None and any(old[k] != form.cleaned_data[k] for k in ("name", "title", "content"))
    if text_changed and locked:
        raise TemplateLocked(
            _("Campaigns using this template may still send: %(join)s. Copy it instead.") % {"join": ", ".join(locked)}
        )
    with transaction.atomic():
        template = form.save(commit=False)
        if not template.pk:
            template.created_by = request.user
        template.save()
        if text_changed:
            template.editors.add(request.user)
            template.forget_mpaas_check()
        after = {"name": template.name, "title": template.title, "content": template.content}
        trail.record(action, request=request, workspace=template.workspace, obj=template, before=before, after=after)
        if text_changed:
            # What these campaigns would send changed: any approval of theirs is void.
            for campaign in users.filter(status__in=list(workflow.EDITABLE_STATES)):
                workflow.record_edit(campaign, request=request, before={"template": before}, after={"template": after})
    return template


def _save(request: WorkspaceRequest, form: TemplateForm, action: str) -> HttpResponse:
    try:
        template = save_template(request, form, action)
    except TemplateLocked as locked:
        form.add_error(None, str(locked))
        return render(request, "campaigns/template_form.html", _preview_context(form))
    messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
    return redirect("campaigns:template_list", workspace_id=template.workspace_id)


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
def template_create(request: WorkspaceRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        return _save(request, form, "template.created")
    return render(request, "campaigns/template_form.html", _preview_context(form))


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
def template_edit(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = get_in_workspace(request, Template, pk=template_id)
    form = TemplateForm(request.POST or None, instance=template, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        return _save(request, form, "template.updated")
    return render(request, "campaigns/template_form.html", _preview_context(form))


@require_POST
@workspace_view(Role.MARKETER)
@vary_on_headers("HX-Request")
def template_preview(request: WorkspaceRequest) -> HttpResponse:
    """The placeholder list, sample inputs and phone preview for what is typed so far (nothing saved)."""
    form = TemplateForm(request.POST, workspace=request.workspace)
    part = "phone" if request.POST.get("part") == "phone" else "live"
    return render(request, f"campaigns/template_form.html#{part}", _preview_context(form))


def _back_to(request: WorkspaceRequest, template: Template) -> HttpResponse:
    if request.POST.get("from") == "edit":
        return redirect("campaigns:template_edit", workspace_id=template.workspace_id, template_id=template.pk)
    return redirect("campaigns:template_list", workspace_id=template.workspace_id)


def _tell(request: WorkspaceRequest, answer: mpaas_sync.SyncAnswer) -> None:
    (messages.success if answer.ok else messages.error)(request, answer.text)


@require_POST
@workspace_view(Role.MARKETER)
def template_create_on_mpaas(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = get_in_workspace(request, Template.objects.select_related("workspace"), pk=template_id)
    _tell(request, mpaas_sync.create_on_mpaas(template, request=request))
    return _back_to(request, template)


@require_POST
@workspace_view(Role.MARKETER)
def template_check_mpaas(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = get_in_workspace(request, Template.objects.select_related("workspace"), pk=template_id)
    _tell(request, mpaas_sync.check(template, request=request))
    return _back_to(request, template)


@require_POST
@workspace_view(Role.MARKETER)
def template_duplicate(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = get_in_workspace(request, Template, pk=template_id)
    copy = duplicating.duplicate_template(template, request=request)
    messages.success(
        request,
        _("“%(name)s” is a copy of “%(name2)s”; create it on mPaaS before using it.")
        % {"name": copy.name, "name2": template.name},
    )
    return redirect("campaigns:template_edit", workspace_id=copy.workspace_id, template_id=copy.pk)
