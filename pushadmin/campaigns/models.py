"""Templates (a mirror of the mPaaS console's) and campaigns."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_msg_key_prefix() -> str:
    """Random per campaign, so MsgKeys stay unique per mPaaS app across installations and resets."""
    return secrets.token_hex(5)


class DeliveryType(models.IntegerChoices):
    ANDROID_DEVICE = 1, "Android device"
    IOS_DEVICE = 2, "iOS device"
    USER = 3, "User"
    HARMONY_DEVICE = 7, "HarmonyOS device"


class Template(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=100, help_text="Exactly the template name in the mPaaS console (no commas).")
    title = models.CharField(max_length=200)
    content = models.TextField(max_length=2000)
    sample_values = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Whoever changed its name, title or text: like its author, they may not approve a campaign using it.
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="template_name_unique_in_workspace")]

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    SENT = "sent", "Sent"
    PARTLY_SENT = "partly_sent", "Partly sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class MissingDataPolicy(models.TextChoices):
    BLOCK = "block", "Block submission while any row misses a value"
    SKIP = "skip", "Skip rows that miss a value or are too long"
    FALLBACK = "fallback", "Use a fallback value per placeholder"


class RowsState(models.TextChoices):
    READY = "ready", "Complete"
    BUILDING = "building", "Being built"
    FAILED = "failed", "Build failed"


class Campaign(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=120)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="campaigns")
    delivery_type = models.PositiveSmallIntegerField(choices=DeliveryType.choices, default=DeliveryType.USER)
    audience = models.ForeignKey(
        "audiences.Audience", null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    options = models.JSONField(default=dict, blank=True)
    strategy = models.JSONField(default=dict, blank=True)
    missing_policy = models.CharField(max_length=10, choices=MissingDataPolicy.choices, default=MissingDataPolicy.BLOCK)
    fallback_values = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every edit; approvals name one revision.")
    fingerprint = models.CharField(max_length=64, blank=True)
    send_round = models.PositiveIntegerField(default=1)
    msg_key_prefix = models.CharField(max_length=16, default=new_msg_key_prefix, editable=False, unique=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    # Message rows for a large audience are written in the background; submission waits for them.
    rows_state = models.CharField(max_length=10, choices=RowsState.choices, default=RowsState.READY)
    rows_expected = models.PositiveIntegerField(default=0)
    rows_built = models.PositiveIntegerField(default=0)
    rows_error = models.CharField(max_length=300, blank=True)
    # The build task's claim: a worker that dies lets its lease run out and the sweeper re-drives it.
    rows_claim_token = models.CharField(max_length=36, blank=True)
    rows_lease_until = models.DateTimeField(null=True, blank=True)
    rows_tries = models.PositiveSmallIntegerField(default=0)
    rows_queued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def registered_on_mpaas(self) -> bool:
        """Scheduled on mPaaS (its calls were answered and mPaaS holds its tasks), not held here."""
        return self.status == CampaignStatus.SCHEDULED and self.started_at is not None

    @property
    def status_label(self) -> str:
        return "Scheduled on mPaaS" if self.registered_on_mpaas else self.get_status_display()

    def msg_key_for(self, seq: int, send_round: int = 1) -> str:
        """The MsgKey of row `seq`: fixed when the row is created, new only for a resend round."""
        suffix = "" if send_round == 1 else f"-r{send_round}"
        return f"pa{self.msg_key_prefix}-{seq}{suffix}"
