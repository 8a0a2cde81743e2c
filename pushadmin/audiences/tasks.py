"""Thin Celery tasks: ids in, the work lives in importing.py."""

from __future__ import annotations

from celery import shared_task

from pushadmin.audiences import importing


@shared_task(name="pushadmin.audiences.tasks.import_audience", acks_late=True, reject_on_worker_lost=True)
def import_audience(import_id: int) -> None:
    # The conditional claim inside run_import makes a redelivered task a no-op.
    importing.run_import(import_id)
