from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pushadmin.accounts.access import ALL_ROLES, SESSION_WORKSPACE_KEY, workspace_view
from pushadmin.accounts.models import workspaces_of
from pushadmin.accounts.requests import AuthenticatedRequest, WorkspaceRequest
from pushadmin.console.overview import overview
from pushadmin.console.request_numbers import number_from


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Send each person to their current workspace, or explain that they have none."""
    workspaces = list(workspaces_of(request.user))
    wanted = request.session.get(SESSION_WORKSPACE_KEY)
    chosen = next((ws for ws in workspaces if ws.pk == wanted), workspaces[0] if workspaces else None)
    if chosen is not None:
        return redirect("console:dashboard", workspace_id=chosen.pk)
    return render(request, "console/no_workspace.html")


@require_GET
def switch_workspace(request: AuthenticatedRequest) -> HttpResponse:
    wanted = number_from(request.GET, "workspace")
    if wanted is not None and workspaces_of(request.user).filter(pk=wanted).exists():
        return redirect("console:dashboard", workspace_id=wanted)
    return redirect("console:home")


@require_GET
@workspace_view(*ALL_ROLES)
def dashboard(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    context = {"workspace": workspace, **overview(workspace, request.roles)}
    return render(request, "console/dashboard.html", context)
