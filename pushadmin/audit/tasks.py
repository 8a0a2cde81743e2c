"""Thin Celery tasks: ids in, the work lives in chain_checks.py."""

from __future__ import annotations

from celery import shared_task

from pushadmin.audit import chain_checks


@shared_task(name="pushadmin.audit.tasks.verify_audit_trail", acks_late=True)
def verify_audit_trail(check_id: int) -> None:
    # The conditional claim inside run_check makes a redelivered task a no-op.
    chain_checks.run_check(check_id)
