"""RevokePushTask in the sandbox: a task is recalled once, by its own app, within 7 days, and is listed."""

from __future__ import annotations

import pytest

from pushadmin.sandbox import recalls
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions
from pushadmin.sandbox.store import Batch, PackedTexts, Store
from tests.sandbox.conftest import Sandbox, call_v3, push_fields

APP = [("AppId", "ONEX570DA89211721"), ("WorkspaceId", "test")]


def revoke(sandbox: Sandbox, task_id: str, app: list[tuple[str, str]] = APP) -> dict[str, object]:
    reply: dict[str, object] = call_v3(sandbox, [*app, ("TaskId", task_id)], action="RevokePushTask").json()
    return reply


def test_a_sent_task_is_recalled_once_and_listed_with_its_messages(sandbox: Sandbox) -> None:
    task = call_v3(sandbox, push_fields(3, key_prefix="r")).json()["PushResult"]["Data"]
    other = call_v3(sandbox, push_fields(2, key_prefix="keep")).json()["PushResult"]["Data"]

    first = revoke(sandbox, task)
    again = revoke(sandbox, task)

    assert first["ResultCode"] == "OK" and first["PushResult"] == {"Success": True, "ResultMsg": "", "Data": task}
    assert again["ResultCode"] == "3028" and "already revoked" in str(again["ResultMessage"])
    listed = sandbox.get("/_sandbox/revoked")["tasks"]
    assert [(t["taskId"], t["messages"], t["msgKeys"]) for t in listed] == [(task, 3, ["r-1", "r-2", "r-3"])]
    assert all(m["revoked"] for m in sandbox.messages(taskId=task))
    assert not any(m["revoked"] for m in sandbox.messages(taskId=other))
    assert sandbox.stats()["revokedTasks"] == 1


def test_an_unknown_task_or_another_apps_task_is_refused(sandbox: Sandbox) -> None:
    task = call_v3(sandbox, push_fields(1)).json()["PushResult"]["Data"]

    unknown = revoke(sandbox, "no-such-task")
    foreign = revoke(sandbox, task, app=[("AppId", "ONEX570DA89211721"), ("WorkspaceId", "other")])

    assert unknown["ResultCode"] == "3028" and "no task" in str(unknown["ResultMessage"])
    assert unknown["PushResult"] == {"Success": False, "ResultMsg": unknown["ResultMessage"], "Data": ""}
    assert foreign["ResultCode"] == "3028"
    assert sandbox.get("/_sandbox/revoked")["tasks"] == []


def _stored_task(store: Store, sent_at: float) -> Batch:
    batch = Batch(
        "R", "t-old", "A", "W", "tpl", sent_at, 0, ["k1"], PackedTexts(["u"]), PackedTexts(["t"]), PackedTexts(["c"])
    )
    store.add(batch, all_new=True)
    return batch


def test_a_task_past_the_seven_day_window_cannot_be_recalled() -> None:
    store, options = Store(), SandboxOptions()
    sent_at = 1_800_000_000.0
    _stored_task(store, sent_at)
    params = {"AppId": "A", "WorkspaceId": "W", "TaskId": "t-old"}

    with pytest.raises(BusinessError) as refused:
        recalls.revoke(store, options, params, now=sent_at + 7 * 24 * 3600 + 1)
    assert refused.value.code == "3028" and "older than 7 days" in refused.value.message
    assert store.revoked == []

    assert recalls.revoke(store, options, params, now=sent_at + 7 * 24 * 3600 - 60) == "t-old"
    assert [b.task_id for b in store.revoked] == ["t-old"]
