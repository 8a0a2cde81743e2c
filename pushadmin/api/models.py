"""Personal API tokens and the answers kept for retried POSTs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pushadmin.accounts.models import Role


class ApiToken(models.Model):
    """A person's token for one workspace and some of their roles in it; only its hash is kept.

    The secret is random (32 bytes), so a plain SHA-256 is enough to find it again and nothing
    in the database lets anyone call the API. What a call may do is the token's roles that the
    person still holds in the workspace, so removing a member silences their tokens at once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    roles = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16)  # the recognisable start of the token, to tell tokens apart
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The per-token rate limit: calls counted in the minute that started at `window_started_at`.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # Language-neutral: the audit trail keeps it as the entry's object, shown to readers of any language.
        return f"“{self.name}” ({self.hint}…)"

    @property
    def role_labels(self) -> list[str]:
        """Its roles in the reader's words (a role no longer known as it is)."""
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]


class IdempotentAnswer(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed to every retry of it.

    Written before the call runs (answer empty) so a retry arriving meanwhile is told to wait,
    not served twice; removed again when the call fails, so a retry can try again.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # method, path and body: the same key must mean the same call
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_once_per_token")]

    def __str__(self) -> str:
        return f"answer to {self.key!r} for token #{self.token_id}"
