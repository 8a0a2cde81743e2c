"""What a person is told about the campaigns they take part in, and how they want to hear it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pushadmin.notifications.sentences import text_of


class Notification(models.Model):
    """One message for one person: shown under the bell until read, mailed unless they turned mail off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)  # the lifecycle action it follows, e.g. "campaign.rejected"
    text = models.CharField(max_length=500)  # in the language of the person, when it was made (for the mail)
    params = models.JSONField(default=dict, blank=True)  # what fills its sentence, to show it in any language
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"

    @property
    def shown_text(self) -> str:
        """The notification in the language of whoever reads the page now."""
        return text_of(self.kind, self.params, self.text)


class MailChoice(models.Model):
    """A person's choice about e-mail; without a row, notifications are mailed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_choice")
    send_mail = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user}: {'mail' if self.send_mail else 'no mail'}"
