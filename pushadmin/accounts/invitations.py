"""Joining a workspace by invitation: the admin's invite and revoke, the invitee's accept.

The link carries a random token; only its SHA-256 is stored, so the database (or an audit
entry, or a log) never holds a working link. What the admin sees and is told is the same
whether or not the address already has an account: an existing account is added only once
its owner signs in and accepts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from pushadmin.accounts import recovery_codes, two_factor
from pushadmin.accounts.models import Invitation, Membership, TOTPAuthenticator
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.workspaces import encryption
from pushadmin.workspaces.models import Workspace

SESSION_KEY = "pushadmin_invitation"  # the token's hash, between the e-mailed link and the accept page


class InvitationGone(Exception):
    """Accepted, revoked or expired meanwhile."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


def pending_by_hash(hashed: str | None) -> Invitation | None:
    if not hashed:
        return None
    found: Invitation | None = pending().select_related("workspace").filter(token_hash=hashed).first()
    return found


def invite(request: WorkspaceRequest, workspace: Workspace, email: str, role: str) -> bool:
    """Store the invitation, audit it and e-mail the link; False when the e-mail could not be sent."""
    token = secrets.token_urlsafe(32)
    hours = settings.PUSHADMIN_INVITATION_HOURS
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_hash=token_hash(token),
            invited_by=request.user,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        trail.record(
            "member.invited", request=request, workspace=workspace, obj=invitation, after={"email": email, "role": role}
        )
    link = request.build_absolute_uri(reverse("accounts:invitation", kwargs={"token": token}))
    context = {"invitation": invitation, "link": link, "hours": hours, "inviter": request.user.get_username()}
    try:
        send_mail(
            gettext("You are invited to %(workspace)s on pushadmin") % {"workspace": workspace.name},
            render_to_string("accounts/invitation_email.txt", context),
            None,
            [email],
        )
    except OSError:  # SMTP errors are OSErrors: the invitation stands, the admin is told to send it again
        return False
    return True


def revoke(request: WorkspaceRequest, invitation: Invitation) -> bool:
    with transaction.atomic():
        revoked = pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())
        if revoked:
            trail.record(
                "member.invitation_revoked",
                request=request,
                workspace=invitation.workspace,
                obj=invitation,
                before={"email": invitation.email, "role": invitation.role},
            )
    return bool(revoked)


def address_has_account(email: str) -> bool:
    return User.objects.filter(email__iexact=email, is_active=True).exists()


def enrolment_key(invitation: Invitation) -> str:
    """The hex key offered to the invitee on the join page, made once and kept encrypted."""
    if not invitation.enrolment_key_encrypted:
        encrypted = encryption.encrypt(two_factor.new_key())
        Invitation.objects.filter(pk=invitation.pk, enrolment_key_encrypted="").update(
            enrolment_key_encrypted=encrypted
        )
        invitation.refresh_from_db(fields=["enrolment_key_encrypted"])
    return encryption.decrypt(invitation.enrolment_key_encrypted)


def _accept(request: HttpRequest, invitation: Invitation, user: User) -> None:
    """Mark the invitation used by `user` and give the role; inside the caller's transaction."""
    taken = pending().filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    if not taken:
        raise InvitationGone
    Membership.objects.get_or_create(user=user, workspace=invitation.workspace, role=invitation.role)
    trail.record(
        "member.joined",
        actor=user,
        request=request,
        workspace=invitation.workspace,
        obj=invitation,
        after={"user": user.get_username(), "email": invitation.email, "role": invitation.role},
    )


def accept_signed_in(request: HttpRequest, invitation: Invitation, user: User) -> None:
    with transaction.atomic():
        _accept(request, invitation, user)


@dataclass(frozen=True)
class Joined:
    user: User
    device: TOTPAuthenticator | None
    recovery_codes: list[str]


def join(request: HttpRequest, invitation: Invitation, username: str, password: str, time_step: int | None) -> Joined:
    """Create the invitee's account (with the authenticator they confirmed, if any) and accept."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=invitation.email, password=password)
        _accept(request, invitation, user)
        device, codes = None, []
        if time_step is not None:
            device = TOTPAuthenticator(user=user, name=two_factor.DEVICE_NAME, confirmed=True, last_t=time_step)
            device.key_encrypted = invitation.enrolment_key_encrypted
            device.save()
            trail.record("user.two_factor_enrolled", actor=user, request=request, obj=user)
            codes = recovery_codes.issue(user, request)
        Invitation.objects.filter(pk=invitation.pk).update(enrolment_key_encrypted="")
    return Joined(user, device, codes)
