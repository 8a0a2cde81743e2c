"""Audiences: lists of targets of one delivery type with their placeholder values."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pushadmin.campaigns.models import DeliveryType


class ImportStatus(models.TextChoices):
    READY = "ready", "Ready"
    IMPORTING = "importing", "Importing"
    FAILED = "failed", "Import failed"


class Audience(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="audiences")
    name = models.CharField(max_length=120)
    delivery_type = models.PositiveSmallIntegerField(choices=DeliveryType.choices, default=DeliveryType.USER)
    member_count = models.PositiveIntegerField(default=0)
    import_status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.READY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="audience_name_unique_in_workspace")]

    def __str__(self) -> str:
        return self.name


class AudienceMember(models.Model):
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="members")
    line_number = models.PositiveIntegerField()
    target = models.CharField(max_length=128)
    values = models.JSONField(default=dict)
    extended_params = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["audience", "id"]
        constraints = [models.UniqueConstraint(fields=["audience", "target"], name="target_once_per_audience")]

    def __str__(self) -> str:
        return self.target
