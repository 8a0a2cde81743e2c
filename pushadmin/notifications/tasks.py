"""Mail for notifications, sent by a worker so a slow mail server never holds up a request."""

from __future__ import annotations

from celery import shared_task

from pushadmin.notifications import mailing


@shared_task(ignore_result=True)
def mail_notifications(notification_ids: list[int]) -> int:
    return mailing.mail(notification_ids)
