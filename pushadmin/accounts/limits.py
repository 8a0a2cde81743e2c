"""Hourly limits on costly actions: per person (test sends, imports, invitations) and, for
actions taken before signing in (password reset), per key such as an e-mail address or a client.

The window slides: a use counts for exactly one hour after it happened, so there is no
burst of twice the limit around the top of the hour. Counts live in the database so every
web process shares them. Usage from a view:

    try:
        limits.check_and_count(request.user, "campaign.test_send", limit_per_hour=20)
    except limits.LimitReached as refusal:
        form.add_error(None, str(refusal))
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pushadmin.accounts.models import ActionUse, UseCounter

WINDOW = timedelta(hours=1)


class LimitReached(Exception):
    """The person used `action` `limit` times in the last hour; `retry_after` is in seconds."""

    def __init__(self, action: str, limit: int, retry_after: int) -> None:
        self.action, self.limit, self.retry_after = action, limit, retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        times = "once" if limit == 1 else f"{limit} times"
        super().__init__(f"You can do this at most {times} per hour ({action}); try again in {minutes} {unit}.")


def check_and_count(user: User, action: str, limit_per_hour: int) -> int:
    """Count one use of `action` by `user`, or raise LimitReached without counting it.

    Returns how many uses are left in the current hour after this one.
    """
    if limit_per_hour < 1:
        raise ValueError("limit_per_hour must be at least 1")
    now = timezone.now()
    with transaction.atomic():
        # Locking the person's row serialises their concurrent requests on PostgreSQL, so
        # two simultaneous clicks cannot both take the last use (SQLite has a single writer).
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        uses = ActionUse.objects.filter(user=user, action=action)
        uses.filter(used_at__lte=now - WINDOW).delete()
        recent = list(uses.order_by("used_at").values_list("used_at", flat=True)[:limit_per_hour])
        if len(recent) >= limit_per_hour:
            retry_after = math.ceil((recent[0] + WINDOW - now).total_seconds())
            raise LimitReached(action, limit_per_hour, max(1, retry_after))
        ActionUse.objects.create(user=user, action=action, used_at=now)
        return limit_per_hour - len(recent) - 1


def remaining(user: User, action: str, limit_per_hour: int) -> int:
    """Uses of `action` left for `user` right now, for showing next to the button."""
    since = timezone.now() - WINDOW
    used = ActionUse.objects.filter(user=user, action=action, used_at__gt=since).count()
    return max(0, limit_per_hour - used)


class _Full(Exception):
    pass


def take_all(keyed_limits: list[tuple[str, int]]) -> bool:
    """Count one use on every key, or on none when any key has used its limit this hour.

    Anonymous requests have no person's row to lock, so each key's count is one row changed by
    a conditional UPDATE: parallel requests cannot take more uses than the limit. The window is
    fixed (it starts at a key's first use), which is enough for what is limited this way.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            UseCounter.objects.filter(resets_at__lt=now - WINDOW).delete()
            UseCounter.objects.bulk_create(
                [UseCounter(key=key, resets_at=now + WINDOW) for key, _ in keyed_limits], ignore_conflicts=True
            )
            for key, limit in keyed_limits:
                UseCounter.objects.filter(key=key, resets_at__lte=now).update(uses=0, resets_at=now + WINDOW)
                if not UseCounter.objects.filter(key=key, uses__lt=limit).update(uses=F("uses") + 1):
                    raise _Full
    except _Full:
        return False
    return True
