"""The safety nets' records: who must never be messaged, campaign flags, and recalls."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SuppressionReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("Opted out")
    COMPLAINT = "complaint", _("Complaint")
    LEGAL_HOLD = "legal_hold", _("Legal hold")


class Suppression(models.Model):
    """A target this workspace must never message, whatever a campaign holds."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="suppressions")
    target = models.CharField(max_length=128)
    reason = models.CharField(max_length=10, choices=SuppressionReason.choices)
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # "manual" or the name of the CSV file it came from.
    source = models.CharField(max_length=200, default="manual")

    class Meta:
        ordering = ["-added_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["workspace", "target"], name="suppression_target_unique")]

    def __str__(self) -> str:
        return self.target


class CampaignSafety(models.Model):
    """A campaign's standing towards the safety nets, set before review and bound to its approval."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, primary_key=True, related_name="safety"
    )
    # A service notice (not marketing) may send through the workspace's quiet hours.
    service_notice = models.BooleanField(default=False)
    cap_exception = models.CharField(max_length=300, blank=True)
    cap_exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cap_exception_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"safety of campaign {self.campaign_id}"


class RecallStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Recalling")
    DONE = "done", _("Finished")


class Recall(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="recalls")
    reason = models.CharField(max_length=300)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=RecallStatus.choices, default=RecallStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker's claim: a recall whose worker died is picked up again once this passes.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"recall {self.pk} of campaign {self.campaign_id}"


class RecallTaskStatus(models.TextChoices):
    PENDING = "pending", _("Not yet recalled")
    RECALLED = "recalled", _("Recalled")
    REFUSED = "refused", _("Refused by mPaaS")
    FAILED = "failed", _("No definite answer")


class RecallTask(models.Model):
    """One mPaaS task (one accepted PushMultiple call) of a recall, and what RevokePushTask answered."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="tasks")
    task_id = models.CharField(max_length=64)
    messages = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=RecallTaskStatus.choices, default=RecallTaskStatus.PENDING)
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["recall", "task_id"], name="recall_task_unique")]

    def __str__(self) -> str:
        return self.task_id
