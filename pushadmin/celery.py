"""The Celery application; tasks live in each app's tasks.py and take ids only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")

app = Celery("pushadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
