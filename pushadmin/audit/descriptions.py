"""Audit actions in words: the trail keeps dotted codes (`campaign.approved`), people read these.

Pages show the words with the code beside them; exports keep the codes alone, for machines.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

ACTION_WORDS: dict[str, str] = {
    "audience.created": gettext_noop("Audience created"),
    "audience.import_started": gettext_noop("Audience import started"),
    "audience.imported": gettext_noop("Audience imported"),
    "audience.import_failed": gettext_noop("Audience import failed"),
    "audience.import_interrupted": gettext_noop("Audience import interrupted"),
    "audience.rejected_rows_downloaded": gettext_noop("Rejected rows downloaded"),
    "campaign.created": gettext_noop("Campaign created"),
    "campaign.edited": gettext_noop("Campaign edited"),
    "campaign.duplicated": gettext_noop("Campaign duplicated"),
    "campaign.submitted": gettext_noop("Submitted for review"),
    "campaign.commented": gettext_noop("Review comment"),
    "campaign.approval_given": gettext_noop("Approval given"),
    "campaign.approval_voided": gettext_noop("Approval voided"),
    "campaign.approved": gettext_noop("Campaign approved"),
    "campaign.rejected": gettext_noop("Campaign rejected"),
    "campaign.scheduled": gettext_noop("Campaign scheduled"),
    "campaign.schedule_waiting": gettext_noop("Waiting for room on mPaaS"),
    "campaign.sending_started": gettext_noop("Sending started"),
    "campaign.paused": gettext_noop("Sending paused"),
    "campaign.auto_paused": gettext_noop("Sending paused itself"),
    "campaign.resumed": gettext_noop("Sending resumed"),
    "campaign.cancelled": gettext_noop("Campaign cancelled"),
    "campaign.cancel_failed": gettext_noop("Cancelling failed"),
    "campaign.cancel_incomplete_on_mpaas": gettext_noop("Cancelled, but not every task on mPaaS"),
    "campaign.sent": gettext_noop("Campaign sent"),
    "campaign.partly_sent": gettext_noop("Campaign partly sent"),
    "campaign.failed": gettext_noop("Campaign failed"),
    "campaign.resend_failed": gettext_noop("Failed messages resent"),
    "campaign.outcome_corrected": gettext_noop("Outcome corrected"),
    "campaign.rows_failed": gettext_noop("Creating rows failed"),
    "campaign.rows_interrupted": gettext_noop("Creating rows interrupted"),
    "campaign.test_sent": gettext_noop("Test message sent"),
    "campaign.evidence_exported": gettext_noop("Evidence pack downloaded"),
    "delivery.batch_sent": gettext_noop("Batch sent"),
    "delivery.batches_sent": gettext_noop("Batches sent"),
    "delivery.rows_skipped": gettext_noop("Rows skipped"),
    "delivery.resend_round": gettext_noop("Resend round started"),
    "delivery.unknown_resent": gettext_noop("Unknown messages sent again"),
    "delivery.unknown_left": gettext_noop("Unknown messages left as unknown"),
    "delivery.mpaas_tasks_cancelled": gettext_noop("Tasks on mPaaS cancelled"),
    "member.invited": gettext_noop("Member invited"),
    "member.invitation_revoked": gettext_noop("Invitation revoked"),
    "member.joined": gettext_noop("Member joined"),
    "member.removed": gettext_noop("Member removed"),
    "member.session_ended": gettext_noop("Session ended by an admin"),
    "template.created": gettext_noop("Template created"),
    "template.updated": gettext_noop("Template changed"),
    "template.duplicated": gettext_noop("Template duplicated"),
    "template.checked": gettext_noop("Template checked against mPaaS"),
    "template.created_on_mpaas": gettext_noop("Template created on mPaaS"),
    "user.logged_in": gettext_noop("Signed in"),
    "user.logged_out": gettext_noop("Signed out"),
    "user.login_failed": gettext_noop("Sign-in failed"),
    "user.login_locked": gettext_noop("Sign-in paused after failures"),
    "user.password_changed": gettext_noop("Password changed"),
    "user.password_reset": gettext_noop("Password reset"),
    "user.preferences_changed": gettext_noop("Language or theme changed"),
    "user.two_factor_enrolled": gettext_noop("Two-factor sign-in turned on"),
    "user.two_factor_verified": gettext_noop("Two-factor code accepted"),
    "user.two_factor_failed": gettext_noop("Two-factor code refused"),
    "user.recovery_codes_issued": gettext_noop("Recovery codes issued"),
    "user.recovery_code_used": gettext_noop("Recovery code used"),
    "workspace.created": gettext_noop("Workspace created"),
    "workspace.updated": gettext_noop("Workspace settings changed"),
    "workspace.credential_changed": gettext_noop("AccessKey secret changed"),
    "workspace.connection_tested": gettext_noop("Connection tested"),
}


def describe(action: str) -> str:
    """The action in the reader's language; an action without words (a newer code) as its code."""
    words = ACTION_WORDS.get(action)
    return gettext(words) if words else action
