"""A campaign's delivery figures over the API: the funnel the campaign's figures page draws, as numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from pushadmin.analytics.funnel import Breakdown, campaign_figures
from pushadmin.api.authentication import allow, scoped
from pushadmin.api.problems import ProblemOut
from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.views import VIEWERS

router = Router(tags=["delivery figures"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 429}): ProblemOut}


class StageOut(Schema):
    key: str
    label: str
    count: int
    of_previous_percent: float
    of_targets_percent: float


class BreakdownOut(Schema):
    key: str
    label: str
    push_total: int
    pushed: int
    arrived: int
    opened: int
    ignored: int
    arrival_rate_percent: float
    open_rate_percent: float


class FiguresOut(Schema):
    has_figures: bool
    last_updated: datetime | None
    last_error: str
    stages: list[StageOut]
    ignored: int
    own_counts: dict[str, int]
    channels: list[BreakdownOut]
    platforms: list[BreakdownOut]
    runs: list[BreakdownOut]


def _breakdown(row: Breakdown) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": str(row.label),
        "push_total": row.push_total,
        "pushed": row.pushed,
        "arrived": row.arrived,
        "opened": row.opened,
        "ignored": row.ignored,
        "arrival_rate_percent": row.arrival_rate,
        "open_rate_percent": row.open_rate,
    }


@router.get("/campaigns/{campaign_id}/figures", response={200: FiguresOut, **ERRORS}, **allow(*VIEWERS))
def figures(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """targets → accepted by mPaaS (our records) → pushed → arrived → opened, in all, per vendor channel,
    per platform and per loop run, as last read from mPaaS (`last_updated`; `last_error` when reads fail)."""
    campaign = get_object_or_404(Campaign, workspace=scoped(request).workspace, pk=campaign_id)
    found = campaign_figures(campaign)
    return {
        "has_figures": found.has_figures,
        "last_updated": found.last_updated,
        "last_error": found.sync.last_error if found.sync else "",
        "stages": [
            {
                "key": s.key,
                "label": str(s.label),
                "count": s.count,
                "of_previous_percent": s.of_previous,
                "of_targets_percent": s.of_targets,
            }
            for s in found.stages
        ],
        "ignored": found.ignored,
        "own_counts": found.own,
        "channels": [_breakdown(c) for c in found.channels],
        "platforms": [_breakdown(p) for p in found.platforms],
        "runs": [_breakdown(r) for r in found.runs],
    }
