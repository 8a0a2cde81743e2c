"""The append-only, hash-chained audit trail, and the checks run over it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Chain(models.TextChoices):
    """Which entry an entry's `prev_hash` names."""

    # Written before each workspace had a chain of its own: the entry before it in the installation.
    SINGLE = "single", _("The installation's single chain (written before chains per workspace)")
    # The entry before it in its workspace; for an entry without a workspace, the one before it among those.
    WORKSPACE = "workspace", _("Its workspace's chain")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    # The entry's number among its workspace's entries (1, 2, 3…): what a workspace's auditors
    # see instead of `seq`, whose gaps would show other workspaces' activity.
    workspace_seq = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    chain = models.CharField(max_length=10, choices=Chain.choices)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["workspace", "-seq"]), models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "workspace_seq"], name="audit_entry_number_in_workspace")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"


class ChainCheckStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Checking")
    DONE = "done", _("Finished")


class ChainCheck(models.Model):
    """One verification of the trail, run by a worker: a workspace's entries, or (no workspace) the whole chain."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ChainCheckStatus.choices, default=ChainCheckStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    entries_checked = models.PositiveBigIntegerField(default=0)
    broken_at = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("The first broken entry's number (in the workspace, or the installation).")
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"chain check {self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status == ChainCheckStatus.DONE

    @property
    def intact(self) -> bool:
        return self.finished and self.broken_at is None
