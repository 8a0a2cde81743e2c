"""Celery tasks of the figures sync: the work is in sync.py."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from pushadmin.analytics import sync


@shared_task(
    name="pushadmin.analytics.tasks.sync_figures",
    ignore_result=True,
    # A run left over from before is pointless once the next beat has come.
    expires=settings.PUSHADMIN_ANALYTICS_SYNC_SECONDS or None,
    time_limit=settings.PUSHADMIN_ANALYTICS_RUN_SECONDS + 60,
)
def sync_figures() -> int:
    return sync.run()
