"""Who may do what in which workspace."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models

from pushadmin.workspaces.models import Workspace


class Role(models.TextChoices):
    MARKETER = "marketer", "Marketer"
    REVIEWER = "reviewer", "Reviewer"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Workspace admin"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace", "role"], name="one_role_once_per_workspace")
        ]
        ordering = ["workspace__name", "user__username", "role"]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} in {self.workspace}"


def roles_in(user: User, workspace: Workspace) -> set[str]:
    return set(Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True))


def workspaces_of(user: User) -> models.QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).distinct()


class ActionUse(models.Model):
    """One use of a rate-limited action (a test send, an import) by one person; see limits.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=64)
    used_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "action", "used_at"])]

    def __str__(self) -> str:
        return f"{self.action} by user #{self.user_id} at {self.used_at:%Y-%m-%d %H:%M:%S}"


class SignInCounter(models.Model):
    """Password checks of one account name or one client address in the current window; see login_throttle.py.

    One row per key, changed only by conditional UPDATEs, so parallel sign-ins cannot take more
    checks than the limit allows.
    """

    key = models.CharField(max_length=200, unique=True)  # "account:<name as typed>" or "address:<ip>"
    checks = models.PositiveIntegerField(default=0)  # failed password checks, and checks under way
    resets_at = models.DateTimeField()  # the window's end, or the pause's once the limit is reached
    refused = models.PositiveIntegerField(default=0)  # attempts refused during the pause, not checked
    pause_audited = models.BooleanField(default=False)  # the pause's one audit entry is written

    class Meta:
        indexes = [models.Index(fields=["resets_at"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.checks} checks, {self.refused} refused, until {self.resets_at:%Y-%m-%d %H:%M:%S}"
