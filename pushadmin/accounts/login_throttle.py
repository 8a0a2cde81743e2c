"""Throttling password guesses per account name and per client address (ASVS 6.3.1).

A name or an address with too many recent failures is refused for a while without even
checking the password. Counting by the name as typed, whether or not such an account
exists, keeps the refusal from revealing which accounts exist. The pause ends on its own
(no administrator needed), so a stranger can delay a colleague's sign-in but not disable it.

Each attempt takes a slot on both counters with a conditional UPDATE *before* its password is
checked, so parallel attempts cannot all pass the check and count afterwards: at most the
limit's worth of passwords are ever checked in a window, on SQLite and PostgreSQL alike. A
correct password gives its slots back. Attempts refused during a pause are only counted; the
pause gets one audit entry, however many attempts hit it.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.accounts.models import SignInCounter


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


class SignInPaused(Exception):
    """Too many failures for this name or address: refused without checking the password.

    `first_refusal` is true for exactly one refused attempt per pause: the one that audits it.
    """

    def __init__(self, seconds_left: int, first_refusal: bool, paused: list[str]) -> None:
        super().__init__(f"sign-in paused for {seconds_left} s")
        self.seconds_left, self.first_refusal, self.paused = seconds_left, first_refusal, paused


@dataclass(frozen=True)
class Slots:
    """The slots one attempt took; give them back with `forgive` when the password was right."""

    account_key: str
    address_key: str | None


def _limits(username: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{normalise(username)}", settings.PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT)]
    if ip:
        keys.append((f"address:{ip}", settings.PUSHADMIN_LOGIN_FAILURES_PER_IP))
    return keys


class _Full(Exception):
    pass


def take_slots(username: str, ip: str | None) -> Slots:
    """Take one password check on the name's and the address's counters, or raise `SignInPaused`.

    Both or neither: a full counter rolls the other's slot back. Counters are always taken in
    the same order (name, then address), so two attempts never wait for each other in a cycle.
    """
    now = timezone.now()
    limits = _limits(username, ip)
    try:
        with transaction.atomic():
            SignInCounter.objects.bulk_create(
                [SignInCounter(key=key, resets_at=now + _window()) for key, _ in limits], ignore_conflicts=True
            )
            for key, limit in limits:
                SignInCounter.objects.filter(key=key, resets_at__lte=now).update(
                    checks=0, refused=0, pause_audited=False, resets_at=now + _window()
                )
                taken = SignInCounter.objects.filter(key=key, checks__lt=limit).update(
                    checks=F("checks") + 1,
                    # Reaching the limit starts the pause: it lasts a window from this attempt.
                    resets_at=Case(When(checks__gte=limit - 1, then=Value(now + _window())), default=F("resets_at")),
                )
                if not taken:
                    raise _Full
    except _Full:
        raise _refusal(limits, now) from None
    return Slots(limits[0][0], limits[1][0] if len(limits) > 1 else None)


def _refusal(limits: list[tuple[str, int]], now: datetime) -> SignInPaused:
    """Count the refused attempt on each full counter; the first one of a pause is to be audited."""
    waits = [1]
    paused: list[str] = []
    first = False
    with transaction.atomic():
        for key, limit in limits:
            full = SignInCounter.objects.filter(key=key, checks__gte=limit, resets_at__gt=now)
            if full.update(refused=F("refused") + 1):
                paused.append(key)
                first = bool(full.filter(pause_audited=False).update(pause_audited=True)) or first
                resets_at = full.values_list("resets_at", flat=True).first()
                if resets_at is not None:
                    waits.append(math.ceil((resets_at - now).total_seconds()))
    return SignInPaused(max(waits), first, paused)


def forgive(slots: Slots) -> None:
    """A correct password: the account's earlier typos are forgiven, the address keeps its count."""
    with transaction.atomic():
        SignInCounter.objects.filter(key=slots.account_key).delete()
        if slots.address_key:
            SignInCounter.objects.filter(key=slots.address_key, checks__gt=0).update(checks=F("checks") - 1)


def forget_old_counters() -> None:
    SignInCounter.objects.filter(resets_at__lt=timezone.now() - _window()).delete()
