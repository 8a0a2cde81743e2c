"""Creating, finding, revoking and rate-limiting personal API tokens.

A token reads `pa_` followed by 43 URL-safe characters (32 random bytes), so secret scanners
and people recognise it; only its SHA-256 is stored. Every creation and revocation is audited
in the token's workspace.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from pushadmin.accounts.models import roles_in
from pushadmin.api.models import ApiToken
from pushadmin.audit import trail
from pushadmin.workspaces.models import Workspace

PREFIX = "pa_"
WINDOW = timedelta(minutes=1)
MAX_DAYS = 366


class TokenRefused(ValueError):
    """The token cannot be made as asked; the message says why."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"This token made {settings.PUSHADMIN_API_CALLS_PER_MINUTE} calls in the last minute; "
            f"try again in {retry_after} seconds."
        )


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create(
    user: User,
    workspace: Workspace,
    *,
    name: str,
    roles: Iterable[str],
    expires_at: datetime,
    request: HttpRequest | None = None,
) -> NewToken:
    """Make a token for `roles` the person holds in `workspace`, valid until `expires_at`."""
    wanted = sorted(set(roles))
    held = roles_in(user, workspace)
    if not wanted:
        raise TokenRefused(_("Pick at least one role for the token."))
    if not set(wanted) <= held:
        raise TokenRefused(_("A token can only have roles you hold in this workspace."))
    now = timezone.now()
    if expires_at <= now:
        raise TokenRefused(_("The expiry must be in the future."))
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise TokenRefused(_("A token lives at most %(days)s days.") % {"days": MAX_DAYS})
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            workspace=workspace,
            name=name.strip()[:100],
            roles=wanted,
            token_hash=hash_of(secret),
            hint=secret[:8],
            expires_at=expires_at,
        )
        trail.record(
            "api_token.created",
            actor=user,
            request=request,
            workspace=workspace,
            obj=token,
            after={"name": token.name, "roles": wanted, "expires_at": expires_at.isoformat(), "hint": token.hint},
        )
    return NewToken(token, secret)


def revoke(token: ApiToken, *, user: User, request: HttpRequest | None = None) -> bool:
    """Revoke the person's own token; False when it was already revoked."""
    with transaction.atomic():
        done = ApiToken.objects.filter(pk=token.pk, user=user, revoked_at=None).update(revoked_at=timezone.now()) == 1
        if done:
            trail.record(
                "api_token.revoked",
                actor=user,
                request=request,
                workspace=token.workspace,
                obj=token,
                detail={"name": token.name, "hint": token.hint},
            )
    return done


def find(secret: str) -> ApiToken | None:
    """The live token this secret belongs to (not revoked, not expired), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=hash_of(secret), revoked_at=None, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )


def effective_roles(token: ApiToken) -> set[str]:
    """The token's roles that its owner still holds in its workspace."""
    return set(token.roles) & roles_in(token.user, token.workspace)


def take_call(token: ApiToken) -> None:
    """Count one call against the token's per-minute limit (and note it as last used), or raise RateLimited.

    One conditional UPDATE per call, so parallel calls in many web processes cannot exceed the limit.
    """
    now = timezone.now()
    limit = settings.PUSHADMIN_API_CALLS_PER_MINUTE
    tokens = ApiToken.objects.filter(pk=token.pk)
    new_window = Q(window_started_at=None) | Q(window_started_at__lte=now - WINDOW)
    if tokens.filter(new_window).update(window_started_at=now, window_calls=1, last_used_at=now):
        return
    if tokens.filter(window_calls__lt=limit).update(window_calls=F("window_calls") + 1, last_used_at=now):
        return
    started = tokens.values_list("window_started_at", flat=True).first() or now
    raise RateLimited(max(1, math.ceil((started + WINDOW - now).total_seconds())))
