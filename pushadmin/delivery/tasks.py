"""Celery tasks of the send engine: ids in, the work is in the modules they call.

Nothing imports this module but Celery's autodiscovery: the engine sends these tasks by name
(`queueing`), so the tasks may import the whole engine without closing a loop.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from pushadmin.delivery import controls, cutting, dispatch, sending, sweeper

# A task must end well inside its batch's lease, or the sweeper could re-drive a live call.
SEND_TIME_LIMIT = settings.PUSHADMIN_SEND_LEASE_SECONDS * 3 // 4


@shared_task(
    name="pushadmin.delivery.tasks.send_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=SEND_TIME_LIMIT,
)
def send_batch(batch_id: int) -> str:
    return sending.send_batch(batch_id)


@shared_task(
    name="pushadmin.delivery.tasks.send_batches",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=SEND_TIME_LIMIT,
)
def send_batches(batch_ids: list[int]) -> dict[int, str]:
    return sending.send_batches(batch_ids)


@shared_task(name="pushadmin.delivery.tasks.sweep", ignore_result=True, expires=60)
def sweep() -> None:
    sweeper.sweep()


@shared_task(name="pushadmin.delivery.tasks.schedule_campaign", acks_late=True, ignore_result=True)
def schedule_campaign(campaign_id: int) -> None:
    dispatch.schedule_campaign(campaign_id)


@shared_task(name="pushadmin.delivery.tasks.cut_batches", acks_late=True, ignore_result=True)
def cut_batches(campaign_id: int) -> None:
    cutting.cut_remaining(campaign_id)


@shared_task(name="pushadmin.delivery.tasks.cut_resend_round", acks_late=True, ignore_result=True)
def cut_resend_round(campaign_id: int) -> None:
    controls.cut_resend_remaining(campaign_id)
