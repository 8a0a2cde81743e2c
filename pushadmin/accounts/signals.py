"""Logins, logouts and failed logins go into the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from pushadmin.audit import trail


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    trail.record("user.logged_in", actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        trail.record("user.logged_out", actor=user, request=request)


@receiver(user_login_failed)
def audit_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the username is kept; the password never reaches the trail.
    username = str(credentials.get("username", ""))[:150]
    trail.record(
        "user.login_failed", actor_label=f"anonymous ({username})", request=request, detail={"username": username}
    )
