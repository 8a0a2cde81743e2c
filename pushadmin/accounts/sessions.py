"""Signed-in sessions that admins can see and end (ASVS 7.4.5).

A row per session is written at sign-in and its id kept in the session. The middleware keeps
`last_seen_at` current (at most one write a minute) and follows the session key when it
changes (a password change cycles it); a session whose row an admin deleted is signed out at
its next request, whatever the session engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from pushadmin.accounts.login_throttle import client_ip
from pushadmin.accounts.models import SignedInSession
from pushadmin.audit import trail
from pushadmin.workspaces.models import Workspace

RECORD_KEY = "pushadmin_session_record"
TOUCH_EVERY = timedelta(minutes=1)


def _alive_since() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE) + TOUCH_EVERY


def _start(request: HttpRequest, user: User) -> None:
    if request.session.session_key is None:
        request.session.save()
    now = timezone.now()
    record = SignedInSession.objects.create(
        user=user,
        session_key=request.session.session_key or "",
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        signed_in_at=now,
        last_seen_at=now,
    )
    request.session[RECORD_KEY] = record.pk


@receiver(user_logged_in)
def remember_session(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    if request is None or not hasattr(request, "session"):
        return
    SignedInSession.objects.filter(last_seen_at__lt=timezone.now() - _alive_since()).delete()
    _start(request, user)


@receiver(user_logged_out)
def forget_session(sender: object, request: HttpRequest | None, user: User | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session") and request.session.get(RECORD_KEY):
        SignedInSession.objects.filter(pk=request.session[RECORD_KEY]).delete()


def active_in(workspace: Workspace) -> QuerySet[SignedInSession]:
    """Sessions, still within their idle and absolute lifetimes, of the workspace's members."""
    now = timezone.now()
    return (
        SignedInSession.objects.filter(
            user__memberships__workspace=workspace,
            last_seen_at__gt=now - _alive_since(),
            signed_in_at__gt=now - timedelta(hours=settings.PUSHADMIN_SESSION_MAX_HOURS),
        )
        .distinct()
        .select_related("user")
    )


def end(record: SignedInSession, request: HttpRequest, workspace: Workspace) -> None:
    """Sign the session out now: its stored session is deleted, so its next request is anonymous."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        trail.record(
            "member.session_ended",
            request=request,
            workspace=workspace,
            obj=record.user,
            detail={
                "user": record.user.username,
                "signed_in_at": record.signed_in_at.isoformat(),
                "ip": record.ip,
                "user_agent": record.user_agent,
            },
        )
        record.delete()
        store(session_key=record.session_key).delete()


class SessionRecordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        record_id = request.session.get(RECORD_KEY)
        if record_id is None:  # a session from before sessions were recorded
            _start(request, request.user)
            return self.get_response(request)
        found = SignedInSession.objects.filter(pk=record_id, user=request.user).values_list(
            "session_key", "last_seen_at"
        )
        if not found:
            logout(request)
            return redirect(settings.LOGIN_URL)
        stored_key, last_seen = found[0]
        response = self.get_response(request)
        now = timezone.now()
        current_key = request.session.session_key or stored_key
        if current_key != stored_key or last_seen < now - TOUCH_EVERY:
            SignedInSession.objects.filter(pk=record_id).update(session_key=current_key, last_seen_at=now)
        return response
