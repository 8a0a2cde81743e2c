"""Thin Celery tasks of the composer: ids in, the work lives in rows.py."""

from __future__ import annotations

from celery import shared_task

from pushadmin.campaigns import preflight, rows


@shared_task(name="pushadmin.campaigns.tasks.build_campaign_rows", acks_late=True, reject_on_worker_lost=True)
def build_campaign_rows(campaign_id: int) -> None:
    rows.build_rows(campaign_id)
    preflight.warm_cache(campaign_id)


@shared_task(name="pushadmin.campaigns.tasks.check_campaign_rows", acks_late=True, reject_on_worker_lost=True)
def check_campaign_rows(campaign_id: int) -> None:
    """Scan a large campaign's rows once, for a page that asked not to scan them itself."""
    preflight.warm_cache(campaign_id)
