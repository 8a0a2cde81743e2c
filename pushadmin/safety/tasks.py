"""Celery tasks of the safety nets: thin, ids only."""

from __future__ import annotations

from celery import shared_task

from pushadmin.safety import quiet, recalling


@shared_task(name="pushadmin.safety.tasks.run_recall", acks_late=True, ignore_result=True)
def run_recall(recall_id: int) -> None:
    recalling.run(recall_id)


@shared_task(name="pushadmin.safety.tasks.sweep", ignore_result=True)
def sweep() -> None:
    """Resume campaigns whose quiet hours ended; queue again recalls a lost task or a dead worker left."""
    quiet.resume_after_quiet_hours()
    recalling.redrive()
