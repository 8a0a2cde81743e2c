from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pushadmin.accounts.access import installation_admin_view, workspace_view
from pushadmin.accounts.models import Membership, Role
from pushadmin.accounts.requests import AuthenticatedRequest, WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.operations.doctor import signed_call_check
from pushadmin.workspaces.forms import WorkspaceForm


@require_http_methods(["GET", "POST"])
@installation_admin_view
def create(request: AuthenticatedRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            workspace = form.save()
            Membership.objects.create(user=request.user, workspace=workspace, role=Role.ADMIN)
            trail.record(
                "workspace.created", request=request, workspace=workspace, obj=workspace, after=form.audit_values()
            )
            if form.cleaned_data.get("access_key_secret"):
                trail.record("workspace.credential_changed", request=request, workspace=workspace, obj=workspace)
        messages.success(request, _("Workspace %(workspace)s created; you are its admin.") % {"workspace": workspace})
        return redirect("workspaces:edit", workspace_id=workspace.pk)
    return render(request, "workspaces/form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@workspace_view(Role.ADMIN)
def edit(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    before = model_to_dict(workspace, fields=WorkspaceForm.Meta.fields)
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            workspace = form.save()
            trail.record(
                "workspace.updated",
                request=request,
                workspace=workspace,
                obj=workspace,
                before=before,
                after=form.audit_values(),
            )
            if form.cleaned_data.get("access_key_secret"):
                trail.record("workspace.credential_changed", request=request, workspace=workspace, obj=workspace)
        messages.success(request, _("Workspace settings saved."))
        return redirect("workspaces:edit", workspace_id=workspace.pk)
    return render(request, "workspaces/form.html", {"form": form, "workspace": workspace, "creating": False})


@require_POST
@workspace_view(Role.ADMIN)
def test_connection(request: WorkspaceRequest) -> HttpResponse:
    """One signed, harmless call (a scheduled-task query over one second) that shows whether the endpoint,
    the AccessKey and this machine's clock are right; audited."""
    workspace = request.workspace
    finding = signed_call_check(workspace)
    trail.record(
        "workspace.connection_tested", request=request, workspace=workspace, obj=workspace, detail={"ok": finding.ok}
    )
    if finding.skipped:
        messages.warning(request, _("Nothing to test yet: enter the AccessKey secret first."))
    elif finding.ok:
        messages.success(
            request,
            _("Connection works: mPaaS at %(endpoint_url)s answered a signed call.")
            % {"endpoint_url": workspace.endpoint_url},
        )
    else:
        messages.error(request, _("Connection failed: %(says)s") % {"says": finding.says})
    return redirect("workspaces:edit", workspace_id=workspace.pk)
