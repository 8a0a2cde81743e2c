from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pushadmin.notifications.models import Notification


def bell(request: HttpRequest) -> dict[str, Any]:
    """How many notifications the signed-in person has not read, for the bell in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at=None).count()}
