"""A workspace holds one mPaaS app's settings and its encrypted credentials."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pushadmin.workspaces import encryption

API_VERSIONS = ["2019-08-21", "2020-07-10", "2020-10-28"]


class SignatureScheme(models.TextChoices):
    V3 = "v3", _("V3 (ACS3-HMAC-SHA256)")
    V1 = "v1", _("V1 (HMAC-SHA1)")


class AmbiguousPolicy(models.TextChoices):
    MARK_UNKNOWN = "mark_unknown", _("Mark unknown for a person to decide (no duplicates)")
    RESEND = "resend", _("Resend with the same MsgKeys (may duplicate)")


class CapPeriod(models.TextChoices):
    DAY = "24h", _("24 hours")
    WEEK = "7d", _("7 days")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a known time zone; use a name such as Asia/Shanghai or Europe/Berlin."),
            params={"value": value},
        ) from None
    if value not in available_timezones() and value != "UTC":
        raise ValidationError(
            _("“%(value)s” is not a known time zone; use a name such as Asia/Shanghai."), params={"value": value}
        )


class Workspace(models.Model):
    name = models.CharField(max_length=100, unique=True)
    app_id = models.CharField(
        _("mPaaS AppId"),
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Letters, digits, - and _ only."))],
    )
    mpaas_workspace_id = models.CharField(
        _("mPaaS WorkspaceId"),
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Letters, digits, - and _ only."))],
    )
    tenant_id = models.CharField(_("TenantId"), max_length=64, blank=True)
    region = models.CharField(max_length=32, default="cn-hangzhou")
    endpoint_url = models.URLField(
        _("Endpoint URL"),
        max_length=200,
        help_text=_("For example https://mpaas.cn-hangzhou.aliyuncs.com or the local sandbox."),
    )
    api_version = models.CharField(
        _("API version"),
        max_length=10,
        default=API_VERSIONS[0],
        choices=[(version, version) for version in API_VERSIONS],
    )
    access_key_id = models.CharField(_("AccessKey ID"), max_length=128)
    access_key_secret_encrypted = models.TextField(editable=False, blank=True)
    secret_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signature_scheme = models.CharField(max_length=2, choices=SignatureScheme.choices, default=SignatureScheme.V3)
    calls_per_second = models.PositiveIntegerField(
        _("PushMultiple calls per second"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text=_("Shared by every worker. Each call carries up to 100 messages."),
    )
    ambiguous_policy = models.CharField(
        _("When a call's outcome is unknown"),
        max_length=16,
        choices=AmbiguousPolicy.choices,
        default=AmbiguousPolicy.MARK_UNKNOWN,
    )
    required_approvals = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(2)],
        help_text=_("Distinct reviewers who must approve a campaign (1 or 2)."),
    )
    require_two_factor = models.BooleanField(
        _("Require two-factor sign-in for reviewers and admins"),
        default=False,
        help_text=_(
            "Reviewers and admins of this workspace must enrol an authenticator app and enter its code "
            "after their password."
        ),
    )
    time_zone = models.CharField(
        max_length=64,
        default="Asia/Shanghai",
        validators=[validate_time_zone],
        help_text=_("Quiet hours are read in this time zone, for example Asia/Shanghai."),
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, help_text=_("Marketing campaigns start no calls from this time… (empty: no quiet hours)")
    )
    quiet_hours_end = models.TimeField(
        null=True, blank=True, help_text=_("…until this time; a window may run past midnight, e.g. 21:00 to 08:00.")
    )
    cap_messages = models.PositiveIntegerField(
        _("Frequency cap: messages per target"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("At most this many messages to one target across campaigns (empty: no cap)."),
    )
    cap_period = models.CharField(
        _("Frequency cap period"), max_length=3, choices=CapPeriod.choices, default=CapPeriod.DAY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.access_key_secret_encrypted)

    def set_secret(self, plaintext: str) -> None:
        self.access_key_secret_encrypted = encryption.encrypt(plaintext)
        self.secret_changed_at = timezone.now()

    def reveal_secret_for_signing(self) -> str:
        """Only the sending path may call this; the value must never reach a page or log."""
        return encryption.decrypt(self.access_key_secret_encrypted)
