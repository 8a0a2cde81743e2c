"""The audit trail of the token's workspace, for auditors and admins, as the history pages show it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from pushadmin.api import cursors
from pushadmin.api.authentication import allow, scoped
from pushadmin.api.problems import ProblemOut
from pushadmin.api.schemas import AuditFilters, AuditPage
from pushadmin.audit.models import AuditEntry
from pushadmin.audit.views import READERS

router = Router(tags=["audit"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 422, 429}): ProblemOut}


@router.get("/audit", response={200: AuditPage, **ERRORS}, **allow(*READERS))
def audit_trail(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, Any]:
    """Entries in the order they were written (`number` runs 1, 2, 3… per workspace); filter by action or object."""
    action, object_type, object_id = filters.action, filters.object_type, filters.object_id
    entries = AuditEntry.objects.filter(workspace=scoped(request).workspace)
    if action:
        entries = entries.filter(action__startswith=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    page, next_cursor = cursors.page(entries, filters.cursor, filters.limit, key="seq")
    items = [
        {
            "number": entry.workspace_seq or 0,
            "created_at": entry.created_at,
            "actor": entry.actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "object_repr": entry.object_repr,
            "before": entry.before if isinstance(entry.before, dict) else None,
            "after": entry.after if isinstance(entry.after, dict) else None,
            "detail": entry.detail if isinstance(entry.detail, dict) else {},
            "hash": entry.hash,
        }
        for entry in page
    ]
    return {"items": items, "next_cursor": next_cursor}
