"""Templates (a mirror of the mPaaS console's) and campaigns."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def new_msg_key_prefix() -> str:
    """Random per campaign, so MsgKeys stay unique per mPaaS app across installations and resets."""
    return secrets.token_hex(5)


class DeliveryType(models.IntegerChoices):
    ANDROID_DEVICE = 1, _("Android device")
    IOS_DEVICE = 2, _("iOS device")
    USER = 3, _("User")
    HARMONY_DEVICE = 7, _("HarmonyOS device")


class MpaasState(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked against mPaaS")
    MATCHES = "matches", _("Matches mPaaS")
    DIFFERS = "differs", _("Differs from mPaaS")
    MISSING = "missing", _("Not on mPaaS")
    ERROR = "error", _("Check failed")


# The fields a check compares, with the words shown for them.
MPAAS_COMPARED = (("name", _("Name")), ("title", _("Title")), ("content", _("Content")))


class Template(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=100, help_text=_("Exactly the template name in the mPaaS console (no commas)."))
    title = models.CharField(max_length=200)
    content = models.TextField(max_length=2000)
    sample_values = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Whoever changed its name, title or text: like its author, they may not approve a campaign using it.
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the last explicit check against mPaaS's GetTemplate found (pages and pre-flight only read it).
    mpaas_state = models.CharField(max_length=10, choices=MpaasState.choices, default=MpaasState.UNCHECKED)
    mpaas_checked_at = models.DateTimeField(null=True, blank=True)
    mpaas_template_id = models.CharField(_("mPaaS template id"), max_length=64, blank=True)
    # When it differs: mPaaS's value of each compared field that is not ours.
    mpaas_copy = models.JSONField(default=dict, blank=True)
    mpaas_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="template_name_unique_in_workspace")]

    def __str__(self) -> str:
        return self.name

    def record_mpaas_check(
        self,
        state: str,
        *,
        checked_at: datetime,
        checked_text: Mapping[str, str],
        template_id: str = "",
        copy: Mapping[str, str] | None = None,
        error: str = "",
    ) -> bool:
        """Store a check's finding unless the text changed since the check read it; False when it did."""
        changes: dict[str, Any] = {
            "mpaas_state": state,
            "mpaas_checked_at": checked_at,
            "mpaas_copy": dict(copy or {}),
            "mpaas_error": error[:300],
        }
        if template_id:
            changes["mpaas_template_id"] = template_id
        done = Template.objects.filter(pk=self.pk, **checked_text).update(**changes) == 1
        if done:
            for name, value in changes.items():
                setattr(self, name, value)
        return done

    def forget_mpaas_check(self) -> None:
        """The text changed: what mPaaS was found to hold no longer says anything about it."""
        changes: dict[str, Any] = {
            "mpaas_state": MpaasState.UNCHECKED,
            "mpaas_checked_at": None,
            "mpaas_copy": {},
            "mpaas_error": "",
        }
        Template.objects.filter(pk=self.pk).update(**changes)
        for name, value in changes.items():
            setattr(self, name, value)

    @property
    def mpaas_differences(self) -> list[tuple[str, str, str]]:
        """(field label, mPaaS's value, ours) of each compared field that differs."""
        return [
            (str(label), str(self.mpaas_copy[name]), getattr(self, name))
            for name, label in MPAAS_COMPARED
            if name in (self.mpaas_copy or {})
        ]

    def mpaas_block_reason(self) -> str | None:
        """Why a campaign with this template must not go to review, as far as mPaaS is concerned."""
        if self.mpaas_state == MpaasState.MISSING:
            return gettext(
                "Template “%(name)s” is not on mPaaS: create it there or link it to one of the same name "
                "(Templates page: Create on mPaaS, or Check against mPaaS); mPaaS refuses every push using it."
            ) % {"name": self.name}
        if self.mpaas_state == MpaasState.DIFFERS:
            fields = ", ".join(str(label).lower() for label, _theirs, _ours in self.mpaas_differences)
            return gettext(
                "Template “%(name)s” differs from mPaaS (%(fields)s): phones would get mPaaS's text, not what "
                "reviewers see. Make them the same and check again."
            ) % {"name": self.name, "fields": fields}
        return None

    def mpaas_warning(self) -> str | None:
        if self.mpaas_state == MpaasState.UNCHECKED:
            return gettext("Template “%(name)s” has not been checked against mPaaS since it last changed.") % {
                "name": self.name
            }
        if self.mpaas_state == MpaasState.ERROR:
            return gettext("The last check of template “%(name)s” against mPaaS failed; check it again.") % {
                "name": self.name
            }
        return None


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    PARTLY_SENT = "partly_sent", _("Partly sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class MissingDataPolicy(models.TextChoices):
    BLOCK = "block", _("Block submission while any row misses a value")
    SKIP = "skip", _("Skip rows that miss a value or are too long")
    FALLBACK = "fallback", _("Use a fallback value per placeholder")


class RowsState(models.TextChoices):
    READY = "ready", _("Complete")
    BUILDING = "building", _("Being built")
    FAILED = "failed", _("Build failed")


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
    revision = models.PositiveIntegerField(default=1, help_text=_("Bumped by every edit; approvals name one revision."))
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
        return gettext("Scheduled on mPaaS") if self.registered_on_mpaas else self.get_status_display()

    def msg_key_for(self, seq: int, send_round: int = 1) -> str:
        """The MsgKey of row `seq`: fixed when the row is created, new only for a resend round."""
        suffix = "" if send_round == 1 else f"-r{send_round}"
        return f"{self.msg_key_stem}{seq}{suffix}"

    @property
    def msg_key_stem(self) -> str:
        """What every MsgKey of this campaign starts with; a row's number follows it."""
        return f"pa{self.msg_key_prefix}-"
