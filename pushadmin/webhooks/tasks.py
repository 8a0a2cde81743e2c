from __future__ import annotations

from celery import shared_task

from pushadmin.webhooks import delivering


@shared_task(name="pushadmin.webhooks.tasks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> None:
    delivering.deliver(delivery_id)


@shared_task(name="pushadmin.webhooks.tasks.sweep", ignore_result=True, expires=60)
def sweep() -> None:
    delivering.sweep()
