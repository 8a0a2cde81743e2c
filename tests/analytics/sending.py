"""Campaigns sent to the sandbox in this process (the tests play the worker), for the figures sync to read.

Fixtures; a test module outside this package imports them by name."""

from __future__ import annotations

from typing import Any

import pytest

from pushadmin.campaigns.models import Campaign
from pushadmin.delivery import cutting, dispatch, queueing, sending
from pushadmin.delivery.models import Batch
from tests.delivery.campaigns import approve, draft_campaign, point_at


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batch ids handed to the broker; a campaign too big to cut at once is cut here, as its task would."""
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    monkeypatch.setattr(queueing, "enqueue_cutting", cutting.cut_remaining)
    return ids


@pytest.fixture
def send(cast: Any, enqueued: list[int], django_capture_on_commit_callbacks: Any, settings: Any) -> Any:
    """Send a campaign of `targets` rows to the sandbox at `url`, playing the worker until every batch is done."""
    settings.PUSHADMIN_SEND_BACKOFF_BASE_MS = 1
    settings.PUSHADMIN_SEND_BACKOFF_CAP_MS = 1

    def run(url: str, targets: int = 250, **fields: Any) -> Campaign:
        point_at(cast.workspace, url, calls_per_second=1000)
        campaign = approve(draft_campaign(cast.workspace, cast.marketer, targets, **fields), cast.reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.start_campaign(campaign.pk)
        for _ in range(50):
            if not enqueued:
                break
            batch_ids = list(enqueued)
            enqueued.clear()
            Batch.objects.filter(pk__in=batch_ids).update(next_attempt_at=None)
            with django_capture_on_commit_callbacks(execute=True):
                for batch_id in batch_ids:
                    sending.send_batch(batch_id)
        campaign.refresh_from_db()
        return campaign

    return run
