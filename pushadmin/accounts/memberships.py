"""Taking a role, or every role, away from a member of a workspace; a workspace keeps an admin."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from pushadmin.accounts.models import Membership, Role
from pushadmin.audit import trail
from pushadmin.workspaces.models import Workspace


class LastAdmin(Exception):
    def __init__(self) -> None:
        super().__init__("A workspace keeps at least one admin; grant the role to someone else first.")


def _remove(request: HttpRequest, workspace: Workspace, doomed: list[Membership], action: str) -> None:
    trail.lock_chain(workspace)  # before the row locks: every writer takes the two in the same order
    # Lock the workspace's admin roles so two admins removing each other cannot both succeed.
    admins = set(Membership.objects.select_for_update().filter(workspace=workspace, role=Role.ADMIN))
    if admins and admins <= set(doomed):
        raise LastAdmin
    for membership in doomed:
        trail.record(
            action,
            request=request,
            workspace=workspace,
            obj=membership,
            before={"user": membership.user.username, "role": membership.role},
        )
        membership.delete()


def remove_role(request: HttpRequest, membership: Membership) -> None:
    with transaction.atomic():
        _remove(request, membership.workspace, [membership], "membership.revoked")


def remove_person(request: HttpRequest, workspace: Workspace, user: User) -> None:
    """Every role of `user` in `workspace`, so they can no longer open it."""
    with transaction.atomic():
        doomed = list(Membership.objects.filter(workspace=workspace, user=user).select_related("user"))
        _remove(request, workspace, doomed, "member.removed")
