"""Webhook endpoints a workspace admin registers, and every delivery to them with each attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Event(models.TextChoices):
    CAMPAIGN_SUBMITTED = "campaign.submitted", _("Campaign submitted for review")
    CAMPAIGN_APPROVED = "campaign.approved", _("Campaign approved")
    CAMPAIGN_REJECTED = "campaign.rejected", _("Campaign rejected")
    CAMPAIGN_SENDING = "campaign.sending", _("Campaign sending (started or resumed)")
    CAMPAIGN_PAUSED = "campaign.paused", _("Campaign paused, with the reason")
    CAMPAIGN_FINISHED = "campaign.finished", _("Campaign finished, with its counts")
    CAMPAIGN_CANCELLED = "campaign.cancelled", pgettext_lazy("webhook event", "Campaign cancelled")
    IMPORT_FINISHED = "audience.import_finished", _("Audience import finished")
    RECALL_DONE = "campaign.recall_done", _("Recall done")


class Endpoint(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # The signing secret ("whsec_…"), encrypted with the key ring of the AccessKey secrets; shown once.
    secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        """The events it listens to, in the reader's words (a code no longer known as it is)."""
        labels = dict(Event.choices)
        return [str(labels.get(event, event)) for event in self.events]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (no more tries)")


class Delivery(models.Model):
    """One event for one endpoint: the same webhook-id on every try, so receivers can drop repeats."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    latency_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt of delivery #{self.delivery_id}: {self.status_code or self.error}"
