"""Putting the send engine's work on the broker: tasks named, never imported.

Every task is sent by its registered name, so no module of the engine imports `tasks.py`
(only Celery's autodiscovery does, in a worker): the tasks call into the engine, and the engine
asks for tasks without knowing where they are defined. Each of these is looked up on this module
when it is called, so a test may replace one for the whole engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from pushadmin.celery import app

SEND_BATCHES = "pushadmin.delivery.tasks.send_batches"
CUT_BATCHES = "pushadmin.delivery.tasks.cut_batches"
CUT_RESEND_ROUND = "pushadmin.delivery.tasks.cut_resend_round"
SCHEDULE_CAMPAIGN = "pushadmin.delivery.tasks.schedule_campaign"


def enqueue(batch_ids: Iterable[int], countdown: float | None = None) -> None:
    """Put the batches on the broker, `PUSHADMIN_SEND_GROUP_BATCHES` to a task."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    ids = list(batch_ids)
    size = settings.PUSHADMIN_SEND_GROUP_BATCHES
    # One producer (broker connection) for the whole list instead of one per task.
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), size):
            # Celery takes countdown=None as "no delay".
            app.send_task(
                SEND_BATCHES,
                (ids[start : start + size],),
                countdown=countdown,
                queue=queue,
                producer=producer,
                ignore_result=True,
            )


def enqueue_cutting(campaign_id: int) -> None:
    """Cut the rest of a started campaign in a worker (`cutting.cut_remaining`)."""
    _send(CUT_BATCHES, campaign_id)


def enqueue_resend_cutting(campaign_id: int) -> None:
    """Cut the rest of a resend round in a worker (`controls.cut_resend_remaining`)."""
    _send(CUT_RESEND_ROUND, campaign_id)


def enqueue_scheduling(campaign_id: int) -> None:
    """Register an approved fixed-time or loop campaign on mPaaS, or hold it (`dispatch.schedule_campaign`)."""
    _send(SCHEDULE_CAMPAIGN, campaign_id)


def _send(name: str, campaign_id: int) -> None:
    app.send_task(name, (campaign_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE, ignore_result=True)
