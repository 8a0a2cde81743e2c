"""Approvals (each bound to one revision and fingerprint of a campaign) and review comments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Approval(models.Model):
    """One reviewer's yes to exactly one revision; voided, never deleted, when the campaign changes."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="approvals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    snapshot = models.JSONField(
        default=dict, help_text=_("What was approved (content, options, strategy, counts), for later diffs.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "revision", "reviewer"],
                condition=models.Q(voided_at__isnull=True),
                name="one_live_approval_per_reviewer_and_revision",
            )
        ]
        indexes = [models.Index(fields=["reviewer", "campaign"])]

    def __str__(self) -> str:
        return f"{self.reviewer} approved {self.campaign} r{self.revision}"

    @property
    def is_live(self) -> bool:
        return self.voided_at is None


class ApprovedRows(models.Model):
    """The message rows of one approved revision, packed (see `reviews.approved_rows`), for later row diffs."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    packed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "revision"], name="approved_rows_once_per_revision")]

    def __str__(self) -> str:
        return f"rows of {self.campaign_id} r{self.revision}"


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    REJECTION = "rejection", _("Rejection")


class ReviewComment(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=CommentKind.choices, default=CommentKind.COMMENT)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author} on {self.campaign}"
