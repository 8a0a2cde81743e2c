"""Fixed-time and loop campaigns: registered on mPaaS when they fit, held here otherwise.

A campaign registered on mPaaS stays scheduled, and cancellable there, until its last fire
time; these tests drive the sending in this process against the sandbox over HTTP
(tests/delivery/test_scheduling_worker.py does the same with a real worker).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import (
    clients,
    controls,
    dispatch,
    finishing,
    queueing,
    requests,
    scheduling,
    sending,
    sweeper,
    tasks,
)
from pushadmin.delivery.models import Batch, Message, MessageStatus
from pushadmin.mpaas.request_types import CancelPushSchedulerRequest
from tests.delivery.campaigns import approve, draft_campaign, point_at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def enqueued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: ids.extend(batch_ids))
    return ids


def fixed_at(delta: timedelta) -> dict[str, str]:
    local = (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")
    return {"type": "fixed", "time_zone": "Asia/Shanghai", "fixed_at": local}


def loop_strategy(first_day: int = 1, last_day: int = 10) -> dict[str, object]:
    today = datetime.now(SHANGHAI).date()
    return {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "daily",
        "days": [],
        "time": "09:30:00",
        "start_date": str(today + timedelta(days=first_day)),
        "end_date": str(today + timedelta(days=last_day)),
    }


def registered(cast, sandbox, enqueued, capture, targets=250, strategy=None, name="Spring promotion"):
    """An approved fixed-time campaign scheduled, sent and answered: it now waits on mPaaS."""
    point_at(cast.workspace, sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(
            cast.workspace, cast.marketer, targets, name=name, strategy=strategy or fixed_at(timedelta(hours=3))
        ),
        cast.reviewer,
    )
    with capture(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    for batch_id in list(enqueued):
        sending.send_batch(batch_id)
    enqueued.clear()
    campaign.refresh_from_db()
    return campaign


def task_ids(campaign) -> list[str]:
    return sorted(set(Message.objects.filter(campaign=campaign).values_list("task_id", flat=True)))


def cancel_page(user, campaign) -> str:
    client = Client()
    client.force_login(user)
    url = f"/w/{campaign.workspace_id}/campaigns/{campaign.pk}/sending/cancel/"
    return client.post(url, follow=True).content.decode()


# --------------------------------------------------------------------------- the plan


def test_an_immediate_campaign_is_sent_on_approval(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 5)
    assert scheduling.scheduling_plan(campaign) == (scheduling.IMMEDIATE, "Sent as soon as it is approved.")


def test_a_fixed_time_campaign_that_fits_is_planned_on_mpaas(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3)))
    mode, reason = scheduling.scheduling_plan(campaign)
    assert mode == scheduling.ON_MPAAS and "3 scheduled tasks" in reason and "0 of the 100" in reason


def test_a_fixed_time_campaign_too_big_for_mpaas_is_held_here_and_says_why(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3)))
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=99)
    assert mode == scheduling.HELD_LOCALLY
    assert reason.startswith("It needs 3 scheduled tasks but mPaaS allows 100 unexecuted ones (99 taken)")


def test_a_loop_that_cannot_fit_yet_waits_for_room_with_the_reason(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 250, strategy=loop_strategy())
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=98)
    assert mode == scheduling.WAITING_FOR_ROOM and "only 2 of 100 are free now" in reason


def test_a_loop_bigger_than_mpaas_holds_is_refused_with_the_reason(cast):
    campaign = draft_campaign(cast.workspace, cast.marketer, 10_050, strategy=loop_strategy())
    mode, reason = scheduling.scheduling_plan(campaign, unexecuted=0)
    assert mode == scheduling.REFUSED and "split the audience into campaigns of at most 10,000 targets" in reason


def test_an_approved_loop_that_does_not_fit_yet_stays_approved_and_is_registered_once_there_is_room(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    earlier = waiting_on_mpaas_by_records(cast, 98)
    mpaas_sandbox.faults(error5xx=1.0)  # mPaaS cannot be asked: pushadmin's own count (98 taken) decides
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, name="Daily tip", strategy=loop_strategy()), cast.reviewer
    )

    for _sweep in range(2):
        dispatch.schedule_campaign(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    assert "only 2 of 100 are free now; pushadmin registers it as soon as" in campaign.pause_reason
    assert AuditEntry.objects.filter(action="campaign.schedule_waiting", object_id=str(campaign.pk)).count() == 1
    assert not AuditEntry.objects.filter(action="campaign.cancelled", object_id=str(campaign.pk)).exists()

    Message.objects.filter(campaign=earlier).update(task_id="")  # the earlier schedule has run
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and campaign.pause_reason == ""
    assert len(enqueued) == 3


# --------------------------------------------------------------------------- approval


def test_approving_a_fixed_time_campaign_enqueues_its_scheduling_without_calling_mpaas(
    cast, mpaas_sandbox, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3))), cast.reviewer
    )
    sent_tasks: list[tuple] = []
    monkeypatch.setattr(
        queueing.app, "send_task", lambda name, args, **options: sent_tasks.append((queueing.app.tasks[name], args))
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch.on_approved(campaign.pk)
    assert sent_tasks == [], "enqueued before the commit"
    for callback in callbacks:
        callback()

    assert sent_tasks == [(tasks.schedule_campaign, (campaign.pk,))]
    assert mpaas_sandbox.stats()["calls"] == 0, "the approving request called mPaaS"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_campaign(campaign.pk)  # what the worker runs
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and len(enqueued) == 3


def test_the_sweeper_schedules_an_approved_campaign_whose_scheduling_task_was_lost(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3))), cast.reviewer
    )
    campaign.__class__.objects.filter(pk=campaign.pk).update(approved_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        report = sweeper.sweep()

    assert report.redispatched == [campaign.pk]
    assert mpaas_sandbox.stats()["callsByAction"].get("QueryPushSchedulerList") == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and len(enqueued) == 3
    # A scheduling task delivered late finds nothing to do.
    tasks.schedule_campaign(campaign.pk)
    assert mpaas_sandbox.stats()["callsByAction"].get("QueryPushSchedulerList") == 1


# --------------------------------------------------------------------------- registered on mPaaS


def test_a_registered_campaign_stays_scheduled_on_mpaas_and_cancellable_until_it_fires(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.SCHEDULED and campaign.finished_at is None
    assert scheduling.registered_on_mpaas(campaign)
    assert {m["strategyType"] for m in mpaas_sandbox.messages()} == {1}
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3
    assert sweeper.sweep().started == []
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED, "the sweeper started or finished a campaign waiting on mPaaS"

    client = Client()
    client.force_login(cast.marketer)
    page = client.get(f"/w/{campaign.workspace_id}/campaigns/{campaign.pk}/sending/").content.decode()
    assert "Scheduled on mPaaS</span>" in page
    assert "Scheduled on mPaaS as 3 tasks: it fires once, on " in page
    assert "Cancel campaign</button>" in page


def test_a_registered_campaign_becomes_sent_once_its_fire_time_has_passed(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    fires = scheduling.last_fire_time(campaign)

    assert finishing.finish_fired_campaigns(fires - timedelta(seconds=1)) == []
    sweeper.sweep(fires + timedelta(seconds=1))

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at is not None
    entry = AuditEntry.objects.filter(action="campaign.sent").get()
    assert entry.before == {"status": "scheduled"} and entry.detail["counts"] == {"accepted": 250}


def test_a_registered_campaign_with_rejected_rows_ends_partly_sent_when_it_fires(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    Message.objects.filter(campaign=campaign, seq__gt=200).update(status=MessageStatus.REJECTED, task_id="")

    finishing.finish_fired_campaigns(scheduling.last_fire_time(campaign))

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PARTLY_SENT


def test_a_loop_registered_on_mpaas_waits_until_24_00_of_its_last_day(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    strategy = loop_strategy(first_day=1, last_day=3)
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, strategy=strategy)
    last_day = datetime.now(SHANGHAI).date() + timedelta(days=3)

    assert campaign.status == CampaignStatus.SCHEDULED
    assert scheduling.last_fire_time(campaign) == datetime.combine(
        last_day + timedelta(days=1), datetime.min.time(), SHANGHAI
    )
    during_last_day = datetime.combine(last_day, datetime.min.time(), SHANGHAI) + timedelta(hours=23)
    assert finishing.finish_fired_campaigns(during_last_day) == []
    assert finishing.finish_fired_campaigns(during_last_day + timedelta(hours=1)) == [campaign.pk]


def test_a_registered_campaign_that_fails_entirely_is_failed_not_scheduled(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 50, strategy=fixed_at(timedelta(hours=3))), cast.reviewer
    )
    Message.objects.filter(campaign=campaign).update(values={"name": "missing money"})
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    sending.send_batch(enqueued[0])

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FAILED


# --------------------------------------------------------------------------- cancelling


def test_cancelling_a_registered_campaign_cancels_its_tasks_on_mpaas_and_audits_them(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    ids = task_ids(campaign)

    page = cancel_page(cast.marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert "is cancelled" in page and "mPaaS cancelled 3 scheduled tasks." in page
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0
    assert all(m["cancelled"] for m in mpaas_sandbox.messages())
    entry = AuditEntry.objects.get(action="campaign.cancelled")
    assert entry.actor == cast.marketer and sorted(entry.detail["mpaas_cancelled"]) == ids
    assert entry.detail["mpaas_refused"] == []
    calls = AuditEntry.objects.filter(action="delivery.mpaas_tasks_cancelled")
    assert sorted(t for e in calls for t in e.detail["task_ids"]) == ids


def test_when_cancel_push_scheduler_fails_the_campaign_stays_scheduled_and_the_person_sees_why(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    mpaas_sandbox.faults(error5xx=1.0)

    page = cancel_page(cast.marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert "is still scheduled on mPaaS, not cancelled." in page
    assert "CancelPushScheduler failed for 3 scheduled tasks: ServiceUnavailable:" in page
    assert "Try again to cancel the rest." in page
    assert "Scheduled on mPaaS</span>" in page and "is cancelled;" not in page
    assert finishing.message_counts(campaign.pk) == {MessageStatus.ACCEPTED: 250}
    failed = AuditEntry.objects.get(action="campaign.cancel_failed")
    assert failed.detail["mpaas_error"].startswith("ServiceUnavailable") and failed.detail["mpaas_cancelled"] == []
    mpaas_sandbox.faults(error5xx=0.0)
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 3

    cancel_page(cast.marketer, campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0


def cancel_out_of_band(campaign, task_id: str) -> None:
    workspace = campaign.workspace
    outcome = (
        clients.client_for(workspace)
        .cancel_push_scheduler(
            CancelPushSchedulerRequest(
                app_id=workspace.app_id, workspace_id=workspace.mpaas_workspace_id, unique_ids=[task_id]
            )
        )
        .outcome
    )
    assert outcome.result_code == "OK"


def test_tasks_mpaas_refuses_to_cancel_are_named_with_their_code_and_the_rest_is_cancelled(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    gone, *waiting = task_ids(campaign)
    cancel_out_of_band(campaign, gone)

    page = cancel_page(cast.marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert "mPaaS cancelled 2 scheduled tasks." in campaign.pause_reason
    assert f"mPaaS refused to cancel 1 scheduled task: {gone} (3028: " in campaign.pause_reason
    assert campaign.pause_reason in page
    entry = AuditEntry.objects.get(action="campaign.cancelled")
    assert sorted(entry.detail["mpaas_cancelled"]) == waiting
    [refused] = entry.detail["mpaas_refused"]
    # Our own words for the code, never the remote's text (which may carry anything a remote host said).
    assert (refused["task_id"], refused["code"], refused["meaning"]) == (gone, "3028", "A parameter is not valid.")
    still_accepted = Message.objects.filter(campaign=campaign, status=MessageStatus.ACCEPTED)
    assert set(still_accepted.values_list("task_id", flat=True)) == {gone}


def test_a_campaign_whose_every_task_mpaas_refuses_is_not_shown_as_cancelled(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    campaign = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, targets=100)
    cancel_out_of_band(campaign, task_ids(campaign)[0])

    page = cancel_page(cast.marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert "is still scheduled on mPaaS, not cancelled. mPaaS refused to cancel 1 scheduled task" in page


def test_cancelling_a_campaign_still_registering_cancels_the_tasks_it_has_on_mpaas(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3))), cast.reviewer
    )
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    sending.send_batch(enqueued[0])

    cancel_page(cast.marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0


def test_tasks_registered_by_calls_under_way_when_the_campaign_is_cancelled_are_cancelled_too(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, strategy=fixed_at(timedelta(hours=3))), cast.reviewer
    )
    real_client_for = clients.client_for

    class CancelledDuringTheFirstCall:
        """The marketer cancels while the first call is on its way: mPaaS registers its task after."""

        def __init__(self, workspace):
            self.client = real_client_for(workspace)

        def __getattr__(self, name):
            return getattr(self.client, name)

        def push_multiple(self, request):
            result = self.client.push_multiple(request)
            if Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING:
                controls.cancel(Campaign.objects.get(pk=campaign.pk), request=None)
            return result

    monkeypatch.setattr(clients, "client_for", CancelledDuringTheFirstCall)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.schedule_campaign(campaign.pk)
    for batch_id in list(enqueued):
        sending.send_batch(batch_id)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert finishing.message_counts(campaign.pk) == {MessageStatus.CANCELLED: 250}
    assert scheduling.count_unexecuted_on_mpaas(campaign) == 0
    # The first batch's call registered its task after the cancel; the other batches were never called.
    cancelled = AuditEntry.objects.get(object_id=str(campaign.pk), action="delivery.mpaas_tasks_cancelled")
    assert len(cancelled.detail["task_ids"]) == 1 and len(mpaas_sandbox.messages()) == 100


# --------------------------------------------------------------------------- counting unexecuted tasks


def test_the_fallback_count_is_the_tasks_of_campaigns_waiting_on_mpaas_that_have_not_fired(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    waiting = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks)
    held = approve(
        draft_campaign(cast.workspace, cast.marketer, 10, name="Held", strategy=fixed_at(timedelta(hours=2))),
        cast.reviewer,
    )
    transition(held, CampaignStatus.SCHEDULED, action="campaign.scheduled")
    newcomer = draft_campaign(cast.workspace, cast.marketer, 10, name="Next", strategy=fixed_at(timedelta(hours=4)))

    assert scheduling.unexecuted_known_locally(newcomer) == 3 == scheduling.count_unexecuted_on_mpaas(newcomer)
    assert scheduling.unexecuted_known_locally(waiting) == 0, "a campaign's own tasks leave room for itself"
    after_it_fired = scheduling.last_fire_time(waiting) + timedelta(seconds=1)
    assert scheduling.unexecuted_known_locally(newcomer, now=after_it_fired) == 0
    other_workspace = draft_campaign(cast.other_workspace, cast.admin, 10, strategy=fixed_at(timedelta(hours=4)))
    assert scheduling.unexecuted_known_locally(other_workspace) == 0


def test_an_immediate_campaign_with_task_ids_does_not_count(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 150), cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)
    sending.send_batch(enqueued[0])  # one batch accepted, one still pending: the campaign is sending
    newcomer = draft_campaign(cast.workspace, cast.marketer, 10, name="Next", strategy=fixed_at(timedelta(hours=4)))

    assert Message.objects.filter(campaign=campaign).exclude(task_id="").count() == 100
    assert scheduling.unexecuted_known_locally(newcomer) == 0


def test_a_loop_that_started_firing_counts_until_its_window_ends(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    loop = registered(cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks, strategy=loop_strategy(1, 5))
    newcomer = draft_campaign(cast.workspace, cast.marketer, 10, name="Next", strategy=fixed_at(timedelta(hours=4)))
    third_day = timezone.now() + timedelta(days=3)

    assert scheduling.unexecuted_known_locally(newcomer, now=third_day) == 3
    assert scheduling.unexecuted_known_locally(newcomer, now=timezone.now() + timedelta(days=7)) == 0
    assert scheduling.last_fire_time(loop) < timezone.now() + timedelta(days=7)


def waiting_on_mpaas_by_records(cast, tasks: int):
    """A campaign that pushadmin's records say waits on mPaaS with `tasks` scheduled tasks."""
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, tasks, name="Earlier", strategy=fixed_at(timedelta(hours=6))),
        cast.reviewer,
    )
    campaign = transition(campaign, CampaignStatus.SENDING, action="t", changes={"started_at": timezone.now()})
    for message in Message.objects.filter(campaign=campaign):
        message.status, message.task_id = MessageStatus.ACCEPTED, f"task-{message.seq}"
        message.save()
    return transition(campaign, CampaignStatus.SCHEDULED, action="t")


def test_when_mpaas_cannot_be_asked_the_fallback_count_decides_the_plan(cast, mpaas_sandbox):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    waiting_on_mpaas_by_records(cast, 98)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 250, name="Late", strategy=fixed_at(timedelta(hours=5))),
        cast.reviewer,
    )
    mpaas_sandbox.faults(error5xx=1.0)

    dispatch.schedule_campaign(campaign.pk)

    assert mpaas_sandbox.stats()["callsByAction"] == {"QueryPushSchedulerList": 1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.started_at is None
    entry = AuditEntry.objects.filter(action="campaign.scheduled", object_id=str(campaign.pk)).get()
    assert "(98 taken)" in entry.detail["reason"]


# --------------------------------------------------------------------------- held here


def test_a_held_campaign_starts_when_due_and_goes_out_as_an_immediate_push(
    cast, mpaas_sandbox, enqueued, django_capture_on_commit_callbacks
):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 120, strategy=fixed_at(timedelta(minutes=-1))), cast.reviewer
    )
    transition(campaign, CampaignStatus.SCHEDULED, action="campaign.scheduled")

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.start_due_campaigns() == [campaign.pk]
    batch = Batch.objects.filter(campaign=campaign).first()
    request = requests.build_request(campaign, list(batch.messages.all()))
    assert request.strategy_type is None and request.strategy_content is None
    for batch_id in enqueued:
        sending.send_batch(batch_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert {m["strategyType"] for m in mpaas_sandbox.messages()} == {0}


def test_a_held_campaign_does_not_start_before_its_time_and_says_it_is_held(cast):
    campaign = approve(
        draft_campaign(cast.workspace, cast.marketer, 10, strategy=fixed_at(timedelta(hours=2))), cast.reviewer
    )
    transition(campaign, CampaignStatus.SCHEDULED, action="campaign.scheduled")
    assert dispatch.start_due_campaigns() == []
    mode, reason = scheduling.scheduling_plan(campaign)
    assert mode == scheduling.HELD_LOCALLY and reason.startswith("Held by pushadmin, whose workers send it once, on ")
