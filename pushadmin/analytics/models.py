"""What mPaaS said happened after it accepted a campaign's calls, as read by the sync, and what it is compared with.

Each PushMultiple call is one mPaaS task (a loop's call is one task with a sub-task per run), so a
campaign's figures are the sum of its tasks'. The sync keeps the latest figures of each task run
(:class:`TaskFigures`, in all and per vendor channel) and, after each complete read of a campaign,
one :class:`Snapshot` of the sums, from which the growth over the hours after sending is drawn.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignSync(models.Model):
    """When the sync reads a campaign next, and how its last reads went."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, primary_key=True, related_name="analytics_sync"
    )
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    # A read goes through every task of the campaign; one cut short (a failure, the run's time up)
    # goes on from where it stopped: tasks read since `pass_started_at` are not read again.
    pass_started_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True, help_text=_("End of the last complete read."))
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text=_("Reads failed in a row since the last success."))
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"figures sync of campaign {self.campaign_id}"


ALL_CHANNELS = ""


class TaskFigures(models.Model):
    """mPaaS's latest figures for one run of one task, in all (channel "") or for one vendor channel."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="task_figures")
    task_id = models.CharField(max_length=64)
    # The loop's sub-task id for one of its runs; the task id itself for any other push.
    run_task_id = models.CharField(max_length=80)
    run_at = models.DateTimeField(help_text=_("When the run fired (for an immediate push, when it was sent)."))
    channel = models.CharField(max_length=16, blank=True)
    push_total = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0)
    arrived = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "run_task_id", "channel"], name="task_figures_one_per_channel")
        ]
        indexes = [models.Index(fields=["campaign", "read_at"]), models.Index(fields=["run_at", "channel"])]

    def __str__(self) -> str:
        return f"{self.run_task_id} {self.channel or 'all'}"


class Snapshot(models.Model):
    """A campaign's figures after one complete read: the sums over its tasks, in all and per channel."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="figure_snapshots")
    taken_at = models.DateTimeField()
    push_total = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0)
    arrived = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    # {"HMS": {"push_total": …, "pushed": …, "arrived": …, "opened": …, "ignored": …}, …}
    channels = models.JSONField(default=dict)

    class Meta:
        ordering = ["campaign", "taken_at"]
        indexes = [models.Index(fields=["campaign", "taken_at"])]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} at {self.taken_at:%Y-%m-%d %H:%M}"


class LookupState(models.TextChoices):
    PENDING = "pending", _("Not found yet")
    CONFIRMED = "confirmed", _("Found in mPaaS's records")
    ABSENT = "absent", _("Not in mPaaS's records")


class TaskLookup(models.Model):
    """What mPaaS's records say about a call whose outcome is unknown, found by its task name."""

    batch = models.OneToOneField("delivery.Batch", on_delete=models.CASCADE, related_name="task_lookup")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="task_lookups")
    task_name = models.CharField(max_length=256)
    state = models.CharField(max_length=10, choices=LookupState.choices, default=LookupState.PENDING)
    task_id = models.CharField(max_length=64, blank=True)
    first_checked_at = models.DateTimeField()
    checked_at = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.task_name}: {self.state}"


class Vendor(models.TextChoices):
    HUAWEI = "HMS", _("Huawei")
    HONOR = "HONOR", _("Honor")
    XIAOMI = "MIUI", _("Xiaomi")
    OPPO = "OPPO", "OPPO"
    VIVO = "VIVO", "vivo"


class VendorLimit(models.Model):
    """A vendor's daily limit for this app, entered by an admin from the vendor's console."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="vendor_limits")
    vendor = models.CharField(max_length=8, choices=Vendor.choices)
    category = models.CharField(max_length=16)
    daily_limit = models.PositiveIntegerField()
    source = models.CharField(max_length=200, help_text=_("Where the number comes from, e.g. the vendor console page."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "vendor", "category"], name="vendor_limit_one_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.category}: {self.daily_limit}/day"


class DeviceSample(models.Model):
    """Vendor channels of a sample of a campaign's targets, asked of mPaaS one by one (PushQueryDeviceState).

    The forecast's channel mix when the workspace has no recent figures to go by.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="device_samples")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="device_samples")
    sampled_at = models.DateTimeField()
    size = models.PositiveIntegerField()
    channels = models.JSONField(default=dict)  # {"MIUI": 12, …}

    class Meta:
        indexes = [models.Index(fields=["workspace", "sampled_at"])]

    def __str__(self) -> str:
        return f"{self.size} devices of campaign {self.campaign_id}"
