"""The Celery application; tasks live in each app's tasks.py and take ids only."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")

app = Celery("pushadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_broken_or_expired_connections(task: Task[..., Any] | None = None, **_: Any) -> None:
    """Around each task, as Django does around each request (Celery itself only recycles now and then)."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
