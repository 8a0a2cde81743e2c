"""A workspace's people, for its admins: members and their roles, invitations, signed-in sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pushadmin.accounts import invitations, limits, memberships, sessions, two_factor
from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.forms import InvitationForm
from pushadmin.accounts.models import Membership, Role, TOTPAuthenticator
from pushadmin.accounts.requests import WorkspaceRequest


@require_http_methods(["GET", "POST"])
@workspace_view(Role.ADMIN)
def members(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            limits.check_and_count(request.user, "member.invite", settings.PUSHADMIN_INVITATIONS_PER_HOUR)
        except limits.LimitReached as refusal:
            form.add_error(None, str(refusal))
        else:
            email, role = form.cleaned_data["email"], form.cleaned_data["role"]
            if invitations.invite(request, workspace, email, role):
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": email})
            else:
                messages.error(
                    request,
                    _("The invitation to %(email)s is saved but the e-mail could not be sent.") % {"email": email},
                )
            return redirect("accounts:members", workspace_id=workspace.pk)
    rows = Membership.objects.filter(workspace=workspace).select_related("user")
    devices = TOTPAuthenticator.objects.filter(user__memberships__workspace=workspace, confirmed=True)
    context = {
        "form": form,
        "memberships": rows,
        "enrolled": set(devices.values_list("user_id", flat=True)),
        "guarded_roles": two_factor.GUARDED_ROLES,
        "invitations": invitations.pending().filter(workspace=workspace).select_related("invited_by"),
        "invitation_hours": settings.PUSHADMIN_INVITATION_HOURS,
    }
    return render(request, "accounts/members.html", context)


@require_POST
@workspace_view(Role.ADMIN)
def revoke_invitation(request: WorkspaceRequest, invitation_id: int) -> HttpResponse:
    invitation = get_in_workspace(request, invitations.pending(), pk=invitation_id)
    invitations.revoke(request, invitation)
    messages.success(request, _("The invitation to %(email)s no longer works.") % {"email": invitation.email})
    return redirect("accounts:members", workspace_id=request.workspace.pk)


@require_POST
@workspace_view(Role.ADMIN)
def remove_member(request: WorkspaceRequest, membership_id: int) -> HttpResponse:
    membership = get_in_workspace(request, Membership.objects.select_related("user"), pk=membership_id)
    try:
        memberships.remove_role(request, membership)
        messages.success(request, _("Role removed."))
    except memberships.LastAdmin as refusal:
        messages.error(request, str(refusal))
    return redirect("accounts:members", workspace_id=request.workspace.pk)


@require_POST
@workspace_view(Role.ADMIN)
def remove_person(request: WorkspaceRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User.objects.filter(memberships__workspace=request.workspace).distinct(), pk=user_id)
    try:
        memberships.remove_person(request, request.workspace, person)
        messages.success(
            request,
            _("%(username)s is no longer a member of %(name)s.")
            % {"username": person.username, "name": request.workspace.name},
        )
    except memberships.LastAdmin as refusal:
        messages.error(request, str(refusal))
    return redirect("accounts:members", workspace_id=request.workspace.pk)


@require_GET
@workspace_view(Role.ADMIN)
def member_sessions(request: WorkspaceRequest) -> HttpResponse:
    active = sessions.active_in(request.workspace)
    current = request.session.get(sessions.RECORD_KEY)
    return render(request, "accounts/member_sessions.html", {"sessions": active, "current": current})


@require_POST
@workspace_view(Role.ADMIN)
def end_session(request: WorkspaceRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(sessions.active_in(request.workspace), pk=session_id)
    sessions.end(record, request, request.workspace)
    messages.success(request, _("A session of %(username)s has ended.") % {"username": record.user.username})
    return redirect("accounts:member_sessions", workspace_id=request.workspace.pk)
