"""Emitting webhook events: one call, from inside the transaction of the change it reports.

    events.emit(workspace, "campaign.approved", {"campaign": {...}})

writes one delivery per enabled endpoint of the workspace that picked the event, in the
caller's transaction (so an event is emitted exactly once, and only if the change commits),
and hands them to the worker once it commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from pushadmin.webhooks.models import Delivery, Endpoint, Event
from pushadmin.workspaces.models import Workspace


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def listeners(workspace_id: int, event: str) -> list[Endpoint]:
    """The enabled endpoints of the workspace that picked `event`."""
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    return [e for e in Endpoint.objects.filter(workspace_id=workspace_id, enabled=True) if event in e.events]


def emit(workspace: Workspace | int, event: str, data: Mapping[str, Any]) -> list[int]:
    """Queue `event` with `data` for every endpoint of `workspace` that listens to it; returns the delivery ids."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return emit_to(listeners(workspace_id, event), event, data)


def emit_to(endpoints: list[Endpoint], event: str, data: Mapping[str, Any]) -> list[int]:
    """Queue `event` with `data` for `endpoints`, the `listeners` of it found beforehand."""
    if not endpoints:
        return []
    now = timezone.now()
    with transaction.atomic():
        made = Delivery.objects.bulk_create(
            Delivery(
                endpoint=endpoint,
                event=event,
                message_id=(message_id := new_message_id()),
                payload={"type": event, "timestamp": now.isoformat(), "id": message_id, "data": dict(data)},
                next_attempt_at=now,
            )
            for endpoint in endpoints
        )
        ids = [delivery.pk for delivery in made]
        transaction.on_commit(lambda: enqueue(ids))
    return ids


def enqueue(delivery_ids: list[int], countdown: float = 0) -> None:
    from pushadmin.webhooks.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.apply_async((delivery_id,), countdown=countdown)
