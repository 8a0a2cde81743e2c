"""Review actions: approve (four-eyes, bound to a fingerprint), reject with a reason, comment.

A decision names the revision and fingerprint the reviewer had on screen (`Shown`); the server
refuses it unless that is still the campaign's current pair, so an approval can never land on
content the reviewer did not see.

Every action locks the campaign row first (SELECT … FOR UPDATE on PostgreSQL; SQLite's
IMMEDIATE transactions take the write lock at BEGIN), so two reviewers clicking at once are
served one after the other and the second sees what the first did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.accounts.models import Role, roles_in
from pushadmin.accounts.requests import AuthenticatedRequest
from pushadmin.audit import trail
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.console.request_numbers import is_whole_number
from pushadmin.reviews.approved_rows import RowPacker
from pushadmin.reviews.fingerprint import compute_fingerprint, snapshot_of
from pushadmin.reviews.four_eyes import why_excluded
from pushadmin.reviews.models import Approval, ApprovedRows, CommentKind, ReviewComment


class ReviewRefused(Exception):
    """The action is not allowed for this person or this campaign right now; the message says why."""


@dataclass(frozen=True)
class Shown:
    """The revision and fingerprint on the reviewer's screen when they decided."""

    revision: int | None
    fingerprint: str

    @classmethod
    def from_post(cls, data: Mapping[str, str]) -> Shown:
        revision = data.get("revision", "").strip()
        # Not a number names no revision: refused with the reason, like a missing one.
        return cls(int(revision) if is_whole_number(revision) else None, data.get("fingerprint", "").strip())

    @classmethod
    def of(cls, campaign: Campaign) -> Shown:
        return cls(campaign.revision, campaign.fingerprint)


def refuse_unless_still_shown(campaign: Campaign, shown: Shown) -> None:
    """Refuse a decision taken on a revision or fingerprint that is no longer the campaign's."""
    if shown.revision is None or not shown.fingerprint:
        raise ReviewRefused(
            _("This decision does not say which revision of “%(name)s” it is about; reload the review page.")
            % {"name": campaign.name}
        )
    if shown == Shown.of(campaign):
        return
    facts = {"name": campaign.name, "seen": shown.revision, "revision": campaign.revision}
    if campaign.status == CampaignStatus.IN_REVIEW:
        raise ReviewRefused(
            _(
                "“%(name)s” changed since you opened it (you saw revision %(seen)s); reload to see revision "
                "%(revision)s. Nothing was recorded."
            )
            % facts
        )
    raise ReviewRefused(
        _(
            "“%(name)s” changed since you opened it (you saw revision %(seen)s): it is now %(state)s, at revision "
            "%(revision)s. Nothing was recorded."
        )
        % {**facts, "state": campaign.get_status_display().lower()}
    )


def live_approvals(campaign: Campaign) -> list[Approval]:
    return list(
        Approval.objects.filter(campaign=campaign, revision=campaign.revision, voided_at=None)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )


def void_approvals(campaign: Campaign, reason: str) -> int:
    """Void every live approval of the campaign (any revision); returns how many there were."""
    return Approval.objects.filter(campaign=campaign, voided_at=None).update(
        voided_at=timezone.now(), void_reason=reason[:200]
    )


def why_cannot_approve(campaign: Campaign, user: User | AnonymousUser) -> str | None:
    """The reason this person may not approve this campaign now, or None if they may."""
    if not user.is_authenticated:
        return _("Log in to approve.")
    if Role.REVIEWER not in roles_in(user, campaign.workspace):
        return _("Only reviewers of this workspace can approve campaigns.")
    excluded = why_excluded(campaign, user.pk)
    if excluded:
        return excluded
    if campaign.status != CampaignStatus.IN_REVIEW:
        state = campaign.get_status_display().lower()
        return _("“%(name)s” is %(state)s; only campaigns in review can be approved.") % {
            "name": campaign.name,
            "state": state,
        }
    if Approval.objects.filter(campaign=campaign, revision=campaign.revision, reviewer=user, voided_at=None).exists():
        return _("You already approved this revision; the workspace requires a second, different reviewer.")
    return None


def _lock(campaign: Campaign) -> Campaign:
    trail.lock_chain(campaign.workspace_id)  # before the row lock (see trail.lock_chain)
    return Campaign.objects.select_for_update().select_related("workspace", "template").get(pk=campaign.pk)


def approve(campaign: Campaign, *, request: AuthenticatedRequest, shown: Shown, cap_exception: str = "") -> Campaign:
    """Record the reviewer's approval of what they were shown; the last required one moves the campaign to
    approved and starts sending."""
    changed_since_submission = False
    with transaction.atomic():
        locked = _lock(campaign)
        if shown.revision is not None and shown.revision != locked.revision:
            refuse_unless_still_shown(locked, shown)  # says what changed, before any other reason
        reason = why_cannot_approve(locked, request.user)
        if reason:
            raise ReviewRefused(reason)
        refuse_unless_still_shown(locked, shown)
        rows = RowPacker()
        fingerprint = compute_fingerprint(locked, on_row=rows.add)
        if fingerprint != locked.fingerprint:
            changed_since_submission = True
            _return_to_draft(locked, request, "what will be sent changed after submission", fingerprint)
        else:
            locked = _record_approval(locked, request, fingerprint, rows, cap_exception.strip())
    if changed_since_submission:
        raise ReviewRefused(
            _(
                "“%(name)s” changed after it was submitted, so it went back to draft; "
                "it must be submitted and reviewed again."
            )
            % {"name": campaign.name}
        )
    return locked


def _record_approval(
    campaign: Campaign, request: AuthenticatedRequest, fingerprint: str, rows: RowPacker, cap_exception: str = ""
) -> Campaign:
    ApprovedRows.objects.get_or_create(
        campaign=campaign, revision=campaign.revision, defaults={"packed": rows.finish()}
    )
    approval = Approval.objects.create(
        campaign=campaign,
        reviewer=request.user,
        revision=campaign.revision,
        fingerprint=fingerprint,
        snapshot=snapshot_of(campaign),
    )
    approvals = live_approvals(campaign)
    required = campaign.workspace.required_approvals
    detail = {
        "fingerprint": fingerprint,
        "revision": campaign.revision,
        "approval_id": approval.pk,
        "approvers": [a.reviewer.get_username() for a in approvals],
        "required_approvals": required,
    }
    if cap_exception:
        # A stated exception to the workspace's frequency cap, for this campaign only, kept with the approval.
        from pushadmin.safety.flags import record_cap_exception

        record_cap_exception(campaign, request=request, exception=cap_exception)
        detail["cap_exception"] = cap_exception[:300]
    if len(approvals) < required:
        trail.record(
            "campaign.approval_given", request=request, workspace=campaign.workspace, obj=campaign, detail=detail
        )
        return campaign
    campaign = transition(
        campaign,
        CampaignStatus.APPROVED,
        action="campaign.approved",
        request=request,
        expected=[CampaignStatus.IN_REVIEW],
        detail=detail,
    )
    campaign_id = campaign.pk
    transaction.on_commit(lambda: start_sending(campaign_id))
    return campaign


def start_sending(campaign_id: int) -> None:
    """Hand an approved campaign to the send engine (after the approval is committed)."""
    from pushadmin.delivery.dispatch import on_approved

    on_approved(campaign_id)


def _return_to_draft(campaign: Campaign, request: AuthenticatedRequest, reason: str, fingerprint: str) -> None:
    voided = void_approvals(campaign, reason)
    transition(
        campaign,
        CampaignStatus.DRAFT,
        action="campaign.approval_voided",
        request=request,
        expected=[campaign.status],
        changes={"fingerprint": ""},
        detail={
            "reason": reason,
            "submitted_fingerprint": campaign.fingerprint,
            "current_fingerprint": fingerprint,
            "approvals_voided": voided,
        },
    )


def reject(campaign: Campaign, *, request: AuthenticatedRequest, reason: str, shown: Shown) -> Campaign:
    """Send the campaign in review the reviewer was shown back to draft with their reason."""
    reason = reason.strip()
    if not reason:
        raise ReviewRefused(_("Say why you reject it, so the author knows what to change."))
    with transaction.atomic():
        locked = _lock(campaign)
        if shown.revision is not None and shown.revision != locked.revision:
            refuse_unless_still_shown(locked, shown)  # says what changed, before any other reason
        if locked.status != CampaignStatus.IN_REVIEW:
            raise ReviewRefused(
                _("“%(name)s” is %(state)s; only campaigns in review can be rejected.")
                % {"name": locked.name, "state": locked.get_status_display().lower()}
            )
        refuse_unless_still_shown(locked, shown)
        ReviewComment.objects.create(
            campaign=locked, author=request.user, revision=locked.revision, kind=CommentKind.REJECTION, body=reason
        )
        voided = void_approvals(locked, "rejected")
        return transition(
            locked,
            CampaignStatus.DRAFT,
            action="campaign.rejected",
            request=request,
            expected=[CampaignStatus.IN_REVIEW],
            changes={"fingerprint": ""},
            detail={"reason": reason, "revision": locked.revision, "approvals_voided": voided},
        )


def add_comment(campaign: Campaign, *, request: AuthenticatedRequest, body: str) -> ReviewComment:
    body = body.strip()
    if not body:
        raise ReviewRefused(_("Write something before posting a comment."))
    with transaction.atomic():
        comment = ReviewComment.objects.create(
            campaign=campaign, author=request.user, revision=campaign.revision, body=body
        )
        trail.record(
            "campaign.commented",
            request=request,
            workspace=campaign.workspace,
            obj=campaign,
            detail={"comment_id": comment.pk, "revision": campaign.revision, "body": body},
        )
    return comment
