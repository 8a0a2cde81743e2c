from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from pushadmin.audiences.models import Audience, AudienceMember
from pushadmin.campaigns import preflight as scans
from pushadmin.campaigns import rows
from pushadmin.campaigns.models import Campaign, RowsState
from pushadmin.campaigns.preflight import preflight
from tests.campaigns.composing import make_campaign
from tests.fixtures.processes import wait_for
from tests.personas import Cast

GOOD = {"name": "Zhang San", "money": "200"}


def make_audience(cast: Cast, count: int) -> Audience:
    audience = Audience.objects.create(
        workspace=cast.workspace, name="Big", member_count=count, created_by=cast.marketer
    )
    AudienceMember.objects.bulk_create(
        (AudienceMember(audience=audience, line_number=i + 2, target=f"user{i}", values=GOOD) for i in range(count)),
        batch_size=1000,
    )
    return audience


@pytest.mark.django_db
def test_a_large_audience_is_copied_in_the_background_and_blocks_submission_until_done(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    monkeypatch.setattr(rows, "CHUNK", 7)
    campaign = make_campaign(cast, [], audience=make_audience(cast, 25))
    with django_capture_on_commit_callbacks() as callbacks:
        rows.replace_rows_from_audience(campaign)
    campaign.refresh_from_db()
    assert (campaign.rows_state, campaign.rows_expected, campaign.messages.count()) == (RowsState.BUILDING, 25, 0)
    assert len(callbacks) == 1
    assert "still being created (0 of 25)" in preflight(campaign).block_reasons[0]
    rows.build_rows(campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.rows_state, campaign.rows_built) == (RowsState.READY, 25)
    keys = list(campaign.messages.order_by("seq").values_list("seq", "msg_key"))
    assert keys == [(seq, campaign.msg_key_for(seq)) for seq in range(1, 26)]
    assert not preflight(campaign).blocks_submission


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_rows(cast: Cast, celery_worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import transaction

    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 100)
    campaign = make_campaign(cast, [], audience=make_audience(cast, 3000))
    with transaction.atomic():
        rows.replace_rows_from_audience(campaign)
    wait_for(
        lambda: (
            campaign.messages.count() == 3000
            and campaign.__class__.objects.get(pk=campaign.pk).rows_state == RowsState.READY
        ),
        timeout=90,
        what="rows",
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_builds_a_large_campaign_scans_it_once_for_every_web_process(
    cast: Cast, celery_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 100)
    size = scans.CACHE_FROM_ROWS + 500
    campaign = make_campaign(cast, [], audience=make_audience(cast, size))
    with transaction.atomic():
        rows.replace_rows_from_audience(campaign)

    def scanned() -> object:
        built = Campaign.objects.select_related("template").get(pk=campaign.pk)
        if built.rows_state != RowsState.READY:
            return None
        return cache.get(f"campaign-preflight-rows:{scans.version_key(built, size)}")

    # Read here, in this process, from what the worker process stored.
    report = wait_for(scanned, timeout=120, what="the worker's scan of the built rows")
    assert report.total_rows == size and report.rows_to_send == size


@pytest.mark.django_db(transaction=True)
def test_rows_build_while_another_connection_keeps_writing(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page polling the builder saves its session on every request: a commit by another connection
    between two slices must not make the next slice's write fail (SQLite: "database is locked")."""
    import threading

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections

    def another_connection_commits() -> None:
        SessionStore().create()  # what a poll's session save does, on its own connection
        connections.close_all()

    real_slices = rows._member_slices

    def slices_with_a_poll_between(campaign: Campaign) -> Iterator[Any]:
        for bounds in real_slices(campaign):
            poll = threading.Thread(target=another_connection_commits)
            poll.start()
            poll.join()
            yield bounds

    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    monkeypatch.setattr(rows, "CHUNK", 7)
    monkeypatch.setattr(rows, "_member_slices", slices_with_a_poll_between)
    queued: list[int] = []
    monkeypatch.setattr(rows, "enqueue_build", queued.append)  # this test is the worker, not the session's one
    campaign = make_campaign(cast, [], audience=make_audience(cast, 40))
    with transaction.atomic():
        rows.replace_rows_from_audience(campaign)
    assert queued == [campaign.pk]
    rows.build_rows(campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.rows_state, campaign.rows_error, campaign.rows_built) == (RowsState.READY, "", 40)
    assert list(campaign.messages.order_by("seq").values_list("target", flat=True)) == [f"user{i}" for i in range(40)]


@pytest.mark.django_db
def test_rows_being_built_are_not_scanned_on_every_look_but_once_they_are_ready(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Each slice of a background build is a new version of the rows: scanning them at every poll of
    the builder read a million rows per look. Their problems are found once the build is done."""
    monkeypatch.setattr(rows, "INLINE_BUILD_LIMIT", 10)
    audience = make_audience(cast, 25)
    AudienceMember.objects.filter(audience=audience, line_number=5).update(values={"money": "1"})  # no name
    campaign = make_campaign(cast, [], audience=audience)
    with django_capture_on_commit_callbacks():
        rows.replace_rows_from_audience(campaign)
    rows.copy_all_members(campaign)  # written, as a build's slices are, before the build is marked done
    Campaign.objects.filter(pk=campaign.pk).update(rows_built=25)  # the progress each slice writes with it
    campaign.refresh_from_db()
    assert campaign.rows_state == RowsState.BUILDING

    while_building = preflight(campaign)
    assert (while_building.total_rows, while_building.counts[scans.MISSING]) == (25, 0)
    assert "still being created" in while_building.block_reasons[0]
    assert rows.row_page(campaign).problem_rows == 0

    Campaign.objects.filter(pk=campaign.pk).update(rows_state=RowsState.READY)
    campaign.refresh_from_db()
    assert preflight(campaign).counts[scans.MISSING] == 1
    assert rows.row_page(campaign).problem_rows == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("target", "name", "says"),
    [
        ("u" * 200, "Zhang San", "a target is at most 128"),
        ("user-1", "Zhang\x00San", "NUL character"),
        ("user\x00-1", "Zhang San", "NUL character"),
    ],
)
def test_a_typed_row_that_cannot_be_stored_is_refused_with_the_reason(
    cast: Cast, target: str, name: str, says: str
) -> None:
    """PostgreSQL refuses a NUL character and an over-long target outright: the row gets its reason instead."""
    from django.http import QueryDict

    campaign = make_campaign(cast, [("user-0", GOOD)])
    posted = QueryDict(mutable=True)
    posted.update({"rows": "new-0", "row-new-0-target": target, "row-new-0-v-name": name, "row-new-0-v-money": "1"})
    result = rows.save_rows(campaign, posted)
    assert result.errors is not None and says in result.errors["new-0"]
    assert list(campaign.messages.values_list("target", flat=True)) == ["user-0"]
