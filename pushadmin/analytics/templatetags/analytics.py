"""Pieces other pages show: the quota forecast, comparable campaigns' figures, mPaaS's records of unknown calls."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import OuterRef, Subquery

from pushadmin.analytics import forecast, settling
from pushadmin.analytics.funnel import rate
from pushadmin.analytics.models import CampaignSync, Snapshot
from pushadmin.campaigns.models import Campaign

register = template.Library()
COMPARABLE = 3
AUDITOR_SNAPSHOTS = 50


@register.inclusion_tag("analytics/forecast.html")
def quota_forecast(campaign: Campaign) -> dict[str, Any]:
    return {"forecast": forecast.forecast(campaign), "campaign": campaign}


@register.inclusion_tag("analytics/comparable.html")
def comparable_figures(campaign: Campaign) -> dict[str, Any]:
    """The latest figures of the last campaigns of the same workspace and template that mPaaS has figures for."""
    newest = Snapshot.objects.filter(campaign=OuterRef("pk")).order_by("-taken_at").values("pk")[:1]
    others = list(
        Campaign.objects.filter(workspace=campaign.workspace, template=campaign.template)
        .exclude(pk=campaign.pk)
        .annotate(latest_snapshot=Subquery(newest))
        .filter(latest_snapshot__isnull=False)
        .order_by("-started_at")[:COMPARABLE]
    )
    snapshots = Snapshot.objects.in_bulk([other.latest_snapshot for other in others])
    rows = []
    for other in others:
        latest = snapshots[other.latest_snapshot]
        rows.append(
            {
                "campaign": other,
                "snapshot": latest,
                "arrival_rate": rate(latest.arrived, latest.pushed),
                "open_rate": rate(latest.opened, latest.arrived),
            }
        )
    return {"rows": rows, "campaign": campaign}


@register.inclusion_tag("analytics/evidence.html")
def mpaas_evidence(campaign: Campaign) -> dict[str, Any]:
    return {"lookups": settling.evidence(campaign), "campaign": campaign}


@register.inclusion_tag("analytics/summary.html")
def figures_summary(campaign: Campaign) -> dict[str, Any]:
    latest = Snapshot.objects.filter(campaign=campaign).order_by("-taken_at").first()
    return {
        "campaign": campaign,
        "snapshot": latest,
        "sync": CampaignSync.objects.filter(campaign=campaign).first(),
        "open_rate": rate(latest.opened, latest.arrived) if latest else 0.0,
        "arrival_rate": rate(latest.arrived, latest.pushed) if latest else 0.0,
    }


@register.inclusion_tag("analytics/auditor_figures.html")
def figures_for_auditors(campaign: Campaign) -> dict[str, Any]:
    """Each read of mPaaS's figures with its time (the newest first), and what mPaaS's records said of unknown calls."""
    return {
        "campaign": campaign,
        "snapshots": list(Snapshot.objects.filter(campaign=campaign).order_by("-taken_at")[:AUDITOR_SNAPSHOTS]),
        "total": Snapshot.objects.filter(campaign=campaign).count(),
        "lookups": settling.evidence(campaign),
    }
