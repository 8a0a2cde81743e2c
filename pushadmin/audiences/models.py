"""Audiences: lists of targets of one delivery type with their placeholder values.

An import writes its members under a new `generation` and switches the audience to it in
one short update at the end, so a failed or half-finished import never changes what the
audience holds, and no write transaction stays open for a million rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from pushadmin.campaigns.models import DeliveryType


class ImportStatus(models.TextChoices):
    READY = "ready", _("Ready")
    IMPORTING = "importing", _("Importing")
    FAILED = "failed", _("Import failed")


class Audience(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="audiences")
    name = models.CharField(max_length=120)
    delivery_type = models.PositiveSmallIntegerField(choices=DeliveryType.choices, default=DeliveryType.USER)
    member_count = models.PositiveIntegerField(default=0)
    import_status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.READY)
    columns = models.JSONField(default=list, blank=True, help_text=_("Placeholder columns of the current members."))
    generation = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="audience_name_unique_in_workspace")]

    def __str__(self) -> str:
        return self.name

    def current_members(self) -> models.QuerySet[AudienceMember]:
        return self.members.filter(generation=self.generation)


class AudienceMember(models.Model):
    # No index of its own: the keyset index below starts with it (as does the uniqueness of targets).
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="members", db_index=False)
    generation = models.PositiveIntegerField(default=0)
    line_number = models.PositiveIntegerField()
    target = models.CharField(max_length=128)
    values = models.JSONField(default=dict)
    extended_params = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["audience", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audience", "generation", "target"], name="target_once_per_audience")
        ]
        # A campaign copies an audience a slice of member ids at a time: each slice is a range of this
        # index, never a scan of the whole audience (which PostgreSQL chose with only audience_id to go on).
        indexes = [models.Index(fields=["audience", "generation", "id"], name="member_keyset")]

    def __str__(self) -> str:
        return self.target


class ImportRunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


# An import whose worker died is started again from the top this many times in all.
MAX_IMPORT_TRIES = 3


class AudienceImport(models.Model):
    """One file read into an audience, with its progress and its report.

    A task claims it (status, claim token, lease) with one conditional update and renews the
    lease with every committed slice; the sweeper re-drives an import whose lease ran out.
    """

    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="imports")
    source = models.CharField(max_length=10, default="upload")
    original_name = models.CharField(max_length=200, blank=True)
    stored_name = models.CharField(max_length=100, help_text=_("Random file name under MEDIA_ROOT/imports/."))
    status = models.CharField(max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.QUEUED)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=5, blank=True)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_with_missing = models.PositiveIntegerField(
        default=0, help_text=_("Imported rows that leave a placeholder empty; each campaign's policy decides.")
    )
    rows_rejected = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0, help_text=_("How many times a worker has started it."))
    queued_at = models.DateTimeField(
        default=timezone.now, help_text=_("When its task was last put on the broker (re-sent if it never starts).")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "lease_until"], name="audience_import_lease")]

    def __str__(self) -> str:
        return f"{self.audience} import {self.pk}"

    @property
    def delimiter_name(self) -> str:
        """The separator in words, in the reader's language."""
        names = {";": pgettext("CSV separator", "semicolon"), "\t": pgettext("CSV separator", "tab")}
        return names.get(self.delimiter) or pgettext("CSV separator", "comma")

    @property
    def percent(self) -> int:
        if self.status == ImportRunStatus.DONE:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0

    @property
    def this_try(self) -> int:
        """Which run this is: a queued import's next one, a running import's current one."""
        return self.tries + 1 if self.status == ImportRunStatus.QUEUED else self.tries

    @property
    def interrupted(self) -> bool:
        """A worker started it before and stopped without finishing; it is being run again."""
        return self.status in (ImportRunStatus.QUEUED, ImportRunStatus.RUNNING) and self.this_try > 1

    @property
    def max_tries(self) -> int:
        return MAX_IMPORT_TRIES


class RejectedRow(models.Model):
    audience_import = models.ForeignKey(AudienceImport, on_delete=models.CASCADE, related_name="rejected_rows")
    line_number = models.PositiveIntegerField()
    target = models.CharField(max_length=128, blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["audience_import", "line_number"]

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.reason}"
