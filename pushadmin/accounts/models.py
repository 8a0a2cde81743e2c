"""Who may do what in which workspace."""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from pushadmin.workspaces import encryption
from pushadmin.workspaces.models import Workspace


class Role(models.TextChoices):
    MARKETER = "marketer", _("Marketer")
    REVIEWER = "reviewer", _("Reviewer")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Workspace admin")


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


def roles_in(user: User, workspace: Workspace) -> set[str]:
    return set(Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True))


def workspaces_of(user: User) -> models.QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).distinct()


class ActionUse(models.Model):
    """One use of a rate-limited action (a test send, an import) by one person; see limits.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=64)
    used_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "action", "used_at"])]

    def __str__(self) -> str:
        return f"{self.action} by user #{self.user_id} at {self.used_at:%Y-%m-%d %H:%M:%S}"


class SignInCounter(models.Model):
    """Password checks of one account name or one client address in the current window; see login_throttle.py.

    One row per key, changed only by conditional UPDATEs, so parallel sign-ins cannot take more
    checks than the limit allows.
    """

    key = models.CharField(max_length=200, unique=True)  # "account:<name as typed>" or "address:<ip>"
    checks = models.PositiveIntegerField(default=0)  # failed password checks, and checks under way
    resets_at = models.DateTimeField()  # the window's end, or the pause's once the limit is reached
    refused = models.PositiveIntegerField(default=0)  # attempts refused during the pause, not checked
    pause_audited = models.BooleanField(default=False)  # the pause's one audit entry is written

    class Meta:
        indexes = [models.Index(fields=["resets_at"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.checks} checks, {self.refused} refused, until {self.resets_at:%Y-%m-%d %H:%M:%S}"


# django-otp ships no type information, so its base classes are Any to mypy.
class TOTPAuthenticator(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]
    """An authenticator app (RFC 6238), as django-otp's TOTPDevice but with its key encrypted at rest.

    The key is encrypted with the key ring of the AccessKey secrets (PUSHADMIN_ENCRYPTION_KEYS),
    so a copy of the database alone does not let anyone compute codes, and
    `rotate_encryption_key` re-encrypts it with the secrets.
    """

    key_encrypted = models.TextField(editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)  # the time step of the last code accepted: no code twice

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "authenticator app"

    def set_key(self, hex_key: str) -> None:
        self.key_encrypted = encryption.encrypt(hex_key)

    @property
    def bin_key(self) -> bytes:
        return unhexlify(encryption.decrypt(self.key_encrypted).encode())

    def verify_token(self, token: object) -> bool:
        allowed, _throttle = self.verify_is_allowed()
        if not allowed:
            return False
        code = str(token)
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        verified = code.isascii() and code.isdigit() and totp.verify(int(code), self.tolerance, self.last_t + 1)
        if not verified:
            self.throttle_increment(commit=True)
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def get_throttle_factor(self) -> int:
        return 1

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app reads from the QR code."""
        issuer = str(settings.OTP_TOTP_ISSUER).replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = {"secret": b32encode(self.bin_key), "algorithm": "SHA1", "digits": self.digits, "period": self.step}
        return f"otpauth://totp/{label}?{urlencode(params)}&issuer={quote(issuer)}"


class RecoveryCode(models.Model):
    """One single-use code that stands in for an authenticator code; only its hash is kept.

    See recovery_codes.py. The codes are random (50 bits), so a plain SHA-256 is enough: there
    is no small space of likely values to try, as there is with passwords.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code #{self.pk} of user #{self.user_id}" + (" (used)" if self.used_at else "")


class UseCounter(models.Model):
    """Uses of one anonymous, rate-limited action by one key (an address, a client) in a window; see limits.py."""

    key = models.CharField(max_length=200, unique=True)
    uses = models.PositiveIntegerField(default=0)
    resets_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["resets_at"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.uses} until {self.resets_at:%Y-%m-%d %H:%M:%S}"


class Invitation(models.Model):
    """An e-mailed, single-use, expiring invitation to join a workspace in a role; see invitations.py.

    Only the hash of the link's token is stored. A pending invitation is neither accepted nor
    revoked and not yet expired; each of those changes is a conditional UPDATE, so one link
    admits one person once.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The authenticator key offered on the join page, kept (encrypted) between showing and confirming it.
    enrolment_key_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.get_role_display()} to {self.workspace}"


class SignedInSession(models.Model):
    """One signed-in session, so that admins can see and end their members' sessions (ASVS 7.4.5).

    Written at sign-in and kept current by `sessions.SessionRecordMiddleware`; see sessions.py.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    signed_in_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"


class Language(models.TextChoices):
    """The languages of the console; an empty choice follows the browser's Accept-Language."""

    BROWSER = "", _("As my browser asks")
    ENGLISH = "en", _("English")
    CHINESE = "zh-hans", "简体中文"


class Theme(models.TextChoices):
    SYSTEM = "system", _("As my system")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class Preference(models.Model):
    """How one person wants the console shown: language and colour theme, the same on every device."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=16, choices=Language.choices, blank=True, default=Language.BROWSER)
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM)

    def __str__(self) -> str:
        return f"preferences of user #{self.user_id}: {self.language or 'browser'}, {self.theme}"
