"""The Celery and delivery settings the exactly-once design depends on (reliability notes §2.5)."""

from __future__ import annotations

from django.conf import settings

from pushadmin.celery import app
from pushadmin.delivery import queueing, ratelimit, sending, tasks, verdicts
from pushadmin.mpaas.client import DEFAULT_CONNECT_TIMEOUT


def test_send_tasks_ack_late_and_go_back_to_the_queue_when_a_worker_dies():
    task = app.tasks["pushadmin.delivery.tasks.send_batch"]
    assert task.acks_late is True and task.reject_on_worker_lost is True
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True


def test_every_task_the_engine_sends_by_name_is_the_task_of_that_name():
    sent_by_name = {
        queueing.SEND_BATCHES: tasks.send_batches,
        queueing.CUT_BATCHES: tasks.cut_batches,
        queueing.CUT_RESEND_ROUND: tasks.cut_resend_round,
        queueing.SCHEDULE_CAMPAIGN: tasks.schedule_campaign,
    }
    for name, task in sent_by_name.items():
        assert task.name == name and app.tasks[name] == task and task.ignore_result is True


def test_each_worker_process_reserves_one_task_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_send_task_ends_well_inside_its_batch_lease():
    lease = settings.PUSHADMIN_SEND_LEASE_SECONDS
    assert tasks.send_batch.time_limit < lease
    # The HTTP call (connect + read) and the longest rate-limit wait must fit in the task too.
    longest_call = DEFAULT_CONNECT_TIMEOUT + settings.PUSHADMIN_SEND_HTTP_TIMEOUT + ratelimit.MAX_WAIT_SECONDS
    assert tasks.send_batch.time_limit > longest_call
    # A group starts no call so late that the call and the recording of its step overrun the limit.
    assert tasks.send_batches.time_limit == tasks.send_batch.time_limit
    assert sending._group_budget_seconds() + longest_call + lease / 10 <= tasks.send_batches.time_limit


def test_retry_countdowns_stay_far_below_the_redis_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert visibility / 4 > settings.PUSHADMIN_SEND_BACKOFF_CAP_MS / 1000
    assert visibility > settings.PUSHADMIN_SEND_LEASE_SECONDS


def test_the_sweeper_runs_on_beat_more_often_than_a_lease_expires():
    entry = settings.CELERY_BEAT_SCHEDULE["delivery-sweep"]
    assert entry["task"] == "pushadmin.delivery.tasks.sweep" and entry["task"] in app.tasks
    assert entry["schedule"] < settings.PUSHADMIN_SEND_LEASE_SECONDS


def test_backoff_is_full_jitter_capped_and_honours_retry_after(settings):
    settings.PUSHADMIN_SEND_BACKOFF_BASE_MS = 100
    settings.PUSHADMIN_SEND_BACKOFF_CAP_MS = 1000
    delays = [verdicts.backoff_seconds(attempt) for attempt in range(1, 12) for _ in range(50)]
    assert min(delays) >= 0 and max(delays) <= 1.0
    assert max(verdicts.backoff_seconds(1) for _ in range(200)) <= 0.1
    assert verdicts.backoff_seconds(1, retry_after=0.7) == 0.7
    # A huge Retry-After must not become a countdown beyond the broker's visibility timeout.
    assert verdicts.backoff_seconds(1, retry_after=86_400.0) == 1.0
