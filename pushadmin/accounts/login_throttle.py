"""Throttling password guesses per account name and per client address (ASVS 6.3.1).

A name or an address with too many recent failures is refused for a while without even
checking the password. Counting by the name as typed, whether or not such an account
exists, keeps the refusal from revealing which accounts exist. The pause ends on its own
(no administrator needed), so a stranger can delay a colleague's sign-in but not disable it.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.accounts.models import LoginFailure


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the socket peer, or the entry the trusted proxies appended."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.PUSHADMIN_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _window() -> timedelta:
    return timedelta(minutes=settings.PUSHADMIN_LOCKOUT_MINUTES)


def normalise(username: str) -> str:
    return username.strip().lower()[:150]


def seconds_locked(username: str, ip: str | None) -> int:
    """Seconds until this name and address may try again; 0 when they may try now."""
    now = timezone.now()
    recent = LoginFailure.objects.filter(failed_at__gt=now - _window())
    waits = [0]
    checks = [(recent.filter(username=normalise(username)), settings.PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT)]
    if ip:
        checks.append((recent.filter(ip=ip), settings.PUSHADMIN_LOGIN_FAILURES_PER_IP))
    for failures, limit in checks:
        times = list(failures.order_by("-failed_at").values_list("failed_at", flat=True)[:limit])
        if len(times) >= limit:
            # The pause lasts until the limit-th most recent failure leaves the window.
            waits.append(math.ceil((times[-1] + _window() - now).total_seconds()))
    return max(waits)


def record_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=normalise(username), ip=ip, failed_at=timezone.now())
    LoginFailure.objects.filter(failed_at__lt=timezone.now() - 2 * _window()).delete()


def clear_failures(username: str) -> None:
    """A correct password forgives the account's earlier typos (the address keeps its count)."""
    LoginFailure.objects.filter(username=normalise(username)).delete()
