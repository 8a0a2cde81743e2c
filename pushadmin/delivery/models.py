"""Messages (one per target, one MsgKey for life), batches of at most 100, and attempts.

A campaign's draft rows are these `Message` rows, written by `pushadmin.campaigns.rows` (see
there why the table is delivery's and the drafts campaigns').
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("Not sent yet")
    PENDING = "pending", _("Waiting to be resent")
    IN_FLIGHT = "in_flight", _("Being sent")
    ACCEPTED = "accepted", _("Accepted by mPaaS")
    REJECTED = "rejected", _("Rejected by mPaaS")
    SKIPPED = "skipped", _("Skipped (missing value or too long)")
    CANCELLED = "cancelled", _("Cancelled")
    UNKNOWN = "unknown", _("Outcome unknown")
    # Final states set by the workspace's safety nets (pushadmin.safety), never sent.
    SUPPRESSED = "suppressed", _("Suppressed (on the workspace's suppression list)")
    CAPPED = "capped", _("Held back by the frequency cap")
    # Accepted, then recalled from mPaaS with RevokePushTask.
    RECALLED = "recalled", _("Recalled")


# Result codes the history's code index leaves out: those of unsent and accepted rows, the great
# majority. Auditors look up the failures by code; leaving accepted rows out spares the sender a
# write to that index for each of them.
UNINDEXED_RESULT_CODES = ("", "100", "OK")


class Message(models.Model):
    # No index of its own: (campaign, seq) and (campaign, status) start with it. Every index is
    # written again each time a message changes state (once per message sent).
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    seq = models.PositiveIntegerField(help_text=_("Row number within the campaign, from 1."))
    target = models.CharField(max_length=128)
    values = models.JSONField(default=dict)
    extended_params = models.JSONField(null=True, blank=True)
    # Unique by a constraint, not `unique=True`: that would add a second, pattern-matching index on
    # PostgreSQL that no query uses (MsgKeys are looked up exactly).
    msg_key = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.DRAFT)
    send_round = models.PositiveIntegerField(default=1)
    # No foreign key constraint in the database: PostgreSQL would check it row by row when the
    # outcome is recorded (a fifth of that UPDATE's cost). Only the send engine writes it, with
    # the batch's own state, and deleting a batch through Django still clears it.
    batch = models.ForeignKey(
        "delivery.Batch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_constraint=False,
    )
    request_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    result_code = models.CharField(max_length=64, blank=True)
    result_message = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "seq"], name="message_seq_unique_in_campaign"),
            models.UniqueConstraint(fields=["msg_key"], name="message_msg_key_unique"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["target"]),
            # The auditor's history filters by result code and by date, newest first (keyset on id).
            models.Index(
                fields=["result_code", "id"],
                name="message_failure_code_keyset",
                condition=~models.Q(result_code__in=UNINDEXED_RESULT_CODES),
            ),
            models.Index(fields=["updated_at", "id"], name="message_updated_keyset"),
        ]

    def __str__(self) -> str:
        return self.msg_key


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Claimed by a worker, not yet sent")
    IN_FLIGHT = "in_flight", _("In flight")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Batch(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="batches")
    seq = models.PositiveIntegerField()
    send_round = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task for this batch was last put on the broker; the sweeper re-enqueues
    # batches whose task seems lost (the broker is not the source of truth).
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "send_round", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "send_round", "seq"], name="batch_seq_unique_in_round")
        ]
        indexes = [models.Index(fields=["status", "lease_until"]), models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.send_round}/{self.seq}"


class AttemptResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CONFIG_ERROR = "config_error", _("Configuration error")
    THROTTLED = "throttled", _("Throttled")
    RETRYABLE = "retryable", _("Failed, retried")
    AMBIGUOUS = "ambiguous", _("Outcome unknown")


class Attempt(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="attempt_rows")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.CASCADE, related_name="attempts", editable=False
    )
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptResult.choices)
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    settled = models.PositiveIntegerField(
        default=0, help_text=_("Messages this attempt gave their final state (0 when it will be retried).")
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["campaign", "started_at"])]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.outcome} {self.code}"


class RateBucket(models.Model):
    """Per-workspace call pacing shared by every worker (GCRA: one conditional UPDATE per call).

    `theoretical_arrival` is the epoch second at which the next call may start; reserving a
    slot moves it on by 1/rate, so workers on any machine agree through the database.
    """

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, primary_key=True)
    theoretical_arrival = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"rate bucket of workspace {self.workspace_id}"
