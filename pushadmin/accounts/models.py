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


class LoginFailure(models.Model):
    """A failed password sign-in, counted per account name and per client address; see login_throttle.py."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["username", "failed_at"]), models.Index(fields=["ip", "failed_at"])]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.failed_at:%Y-%m-%d %H:%M:%S}"
