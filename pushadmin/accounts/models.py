"""Who may do what in which workspace."""

from __future__ import annotations

from django.conf import settings
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


def roles_in(user: models.Model, workspace: Workspace) -> set[str]:
    return set(Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True))


def workspaces_of(user: models.Model) -> models.QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).distinct()
