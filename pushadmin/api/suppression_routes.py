"""The workspace's suppression list over the API: read it, add a target, remove one with a reason.

The same actions as the suppression pages (`safety.suppressing`), so the same rules, refusals and
audit entries: reviewers and admins remove, marketers, reviewers and admins add, every role reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from pushadmin.api import cursors
from pushadmin.api.authentication import allow, scoped
from pushadmin.api.problems import Problem, ProblemOut
from pushadmin.api.schemas import Page
from pushadmin.safety import suppressing
from pushadmin.safety.models import Suppression, SuppressionReason
from pushadmin.safety.views import ADDERS, READERS, REMOVERS

router = Router(tags=["suppression list"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 422, 429}): ProblemOut}


class SuppressionOut(Schema):
    id: int
    target: str
    reason: str = Field(description="opted_out, complaint or legal_hold")
    reason_label: str
    note: str
    added_by: str | None
    added_at: datetime
    source: str = Field(description="manual, or the CSV file it was imported from")


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionFilters(Page):
    target: str = Field("", max_length=128, description="Exactly this target.")


class SuppressionIn(Schema):
    target: str = Field(max_length=500)
    reason: str = Field(SuppressionReason.OPTED_OUT, description="opted_out, complaint or legal_hold")
    note: str = Field("", max_length=300)


class RemovalIn(Schema):
    why: str = Field("", max_length=300, description="Why this target may be messaged again (required; audited).")


def suppression_out(entry: Suppression) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "target": entry.target,
        "reason": entry.reason,
        "reason_label": str(entry.get_reason_display()),
        "note": entry.note,
        "added_by": entry.added_by.get_username() if entry.added_by else None,
        "added_at": entry.added_at,
        "source": entry.source,
    }


@router.get("/suppressions", response={200: SuppressionPage, **ERRORS}, **allow(*READERS))
def list_suppressions(request: HttpRequest, filters: Query[SuppressionFilters]) -> dict[str, Any]:
    """Targets this workspace never messages, newest first."""
    entries = Suppression.objects.filter(workspace=scoped(request).workspace).select_related("added_by")
    if filters.target:
        entries = entries.filter(target=filters.target.strip())
    page, next_cursor = cursors.page(entries, filters.cursor, filters.limit, key="pk", descending=True)
    return {"items": [suppression_out(e) for e in page], "next_cursor": next_cursor}


@router.post("/suppressions", response={201: SuppressionOut, **ERRORS}, **allow(*ADDERS))
def add_suppression(request: HttpRequest, payload: SuppressionIn) -> Status[dict[str, Any]]:
    """Never message this target from this workspace again: applied to every batch cut from now on."""
    scope = scoped(request)
    try:
        entry = suppressing.add(scope, scope.workspace, target=payload.target, reason=payload.reason, note=payload.note)
    except suppressing.SuppressionRefused as refused:
        raise Problem(422, str(refused), [(refused.field, str(refused))]) from None
    return Status(201, suppression_out(entry))


@router.post("/suppressions/{suppression_id}/remove", response={200: SuppressionOut, **ERRORS}, **allow(*REMOVERS))
def remove_suppression(request: HttpRequest, suppression_id: int, payload: RemovalIn) -> dict[str, Any]:
    """Take a target off the list, with the reason the audit trail keeps."""
    scope = scoped(request)
    entry = get_object_or_404(
        Suppression.objects.select_related("added_by"), workspace=scope.workspace, pk=suppression_id
    )
    try:
        suppressing.remove(scope, entry, why=payload.why)
    except suppressing.SuppressionRefused as refused:
        raise Problem(422, str(refused), [(refused.field, str(refused))]) from None
    return suppression_out(entry)
