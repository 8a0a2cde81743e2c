"""Tasks a cancelled campaign left on mPaaS: a worker killed after recording a late registration
and before cancelling it leaves the task there, to fire at its time; the sweeper cancels it.

The campaign is registered on the sandbox over real HTTP, then cancelled here as the marketer's
cancel did while its calls were on their way: the rows record accepted calls with task ids,
and nothing cancelled those tasks on mPaaS.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import clients, finishing, queueing, scheduling, sweeper
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.mpaas.request_types import CancelPushSchedulerRequest
from tests.delivery.test_scheduling import registered, task_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


def left_by_a_killed_worker(cast, sandbox, enqueued, capture, *, minutes_ago: int = 10) -> Campaign:
    """Registered on mPaaS, cancelled here, the registrations recorded and never cancelled there."""
    campaign = registered(cast, sandbox, enqueued, capture)
    assert campaign.status == CampaignStatus.SCHEDULED
    campaign = transition(campaign, CampaignStatus.CANCELLED, action="campaign.cancelled")
    died_at = timezone.now() - timedelta(minutes=minutes_ago)
    Message.objects.filter(campaign=campaign).update(updated_at=died_at)
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=died_at)
    return campaign


def cancelled_on_sandbox(sandbox) -> set[bool]:
    return {message["cancelled"] for message in sandbox.messages()}


def leftover_entries(campaign) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_id=str(campaign.pk), action="delivery.leftover_tasks_cancelled"))


def test_the_sweeper_cancels_on_mpaas_the_tasks_a_killed_worker_left_there(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = left_by_a_killed_worker(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3
    assert cancelled_on_sandbox(mpaas_sandbox) == {False}

    report = sweeper.sweep()

    assert report.leftover_tasks_cancelled == [campaign.pk]
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0
    assert cancelled_on_sandbox(mpaas_sandbox) == {True}
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    [entry] = leftover_entries(campaign)
    assert sorted(entry.detail["mpaas_cancelled"]) == task_ids(campaign)
    assert entry.detail["already_gone"] == [] and entry.detail["mpaas_refused"] == []

    calls_before = mpaas_sandbox.stats()["calls"]
    again = sweeper.sweep()

    assert again.leftover_tasks_cancelled == []
    assert mpaas_sandbox.stats()["calls"] == calls_before, "nothing is left to ask mPaaS about"
    assert len(leftover_entries(campaign)) == 1


def test_a_task_mpaas_already_cancelled_counts_as_cancelled(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = left_by_a_killed_worker(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    first, *others = task_ids(campaign)
    # A cancel mPaaS carried out whose answer was never recorded: the worker died on the way back.
    workspace = campaign.workspace
    answer = clients.client_for(workspace).cancel_push_scheduler(
        CancelPushSchedulerRequest(
            app_id=workspace.app_id, workspace_id=workspace.mpaas_workspace_id, unique_ids=[first]
        )
    )
    assert isinstance(answer.outcome, errors.Accepted)

    report = sweeper.sweep()

    assert report.leftover_tasks_cancelled == [campaign.pk]
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert cancelled_on_sandbox(mpaas_sandbox) == {True}
    [entry] = leftover_entries(campaign)
    assert entry.detail["already_gone"] == [first]
    assert sorted(entry.detail["mpaas_cancelled"]) == others
    assert sweeper.sweep().leftover_tasks_cancelled == []


def test_a_registration_recorded_moments_ago_is_left_to_the_worker_that_recorded_it(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = left_by_a_killed_worker(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, minutes_ago=0)

    assert sweeper.sweep().leftover_tasks_cancelled == []
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3
    assert finishing.message_counts(campaign.pk) == {MessageStatus.ACCEPTED: 250}
