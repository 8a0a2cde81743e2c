from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pushadmin.accounts import two_factor
from pushadmin.accounts.access import workspace_view
from pushadmin.accounts.forms import MembershipForm
from pushadmin.accounts.models import Membership, Role, TOTPAuthenticator
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail


@require_http_methods(["GET", "POST"])
@workspace_view(Role.ADMIN)
def members(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    form = MembershipForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            membership = Membership.objects.create(
                user=form.cleaned_data["username"], workspace=workspace, role=form.cleaned_data["role"]
            )
            trail.record(
                "membership.granted",
                request=request,
                workspace=workspace,
                obj=membership,
                after={"user": membership.user.username, "role": membership.role},
            )
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
        return redirect("accounts:members", workspace_id=workspace.pk)
    rows = Membership.objects.filter(workspace=workspace).select_related("user")
    devices = TOTPAuthenticator.objects.filter(user__memberships__workspace=workspace, confirmed=True)
    enrolled = set(devices.values_list("user_id", flat=True))
    context = {"form": form, "memberships": rows, "enrolled": enrolled, "guarded_roles": two_factor.GUARDED_ROLES}
    return render(request, "accounts/members.html", context)


@require_POST
@workspace_view(Role.ADMIN)
def remove_member(request: WorkspaceRequest, membership_id: int) -> HttpResponse:
    workspace = request.workspace
    membership = get_object_or_404(Membership, pk=membership_id, workspace=workspace)
    with transaction.atomic():
        # Lock the workspace's admin roles so two admins removing each other cannot both succeed.
        admins = list(Membership.objects.select_for_update().filter(workspace=workspace, role=Role.ADMIN))
        if membership.role == Role.ADMIN and len(admins) == 1:
            messages.error(request, "A workspace keeps at least one admin; grant the role to someone else first.")
            return redirect("accounts:members", workspace_id=workspace.pk)
        trail.record(
            "membership.revoked",
            request=request,
            workspace=workspace,
            obj=membership,
            before={"user": membership.user.username, "role": membership.role},
        )
        membership.delete()
    messages.success(request, "Role removed.")
    return redirect("accounts:members", workspace_id=workspace.pk)
