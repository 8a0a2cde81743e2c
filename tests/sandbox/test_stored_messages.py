"""What /_sandbox/messages answers about stored messages, whatever their text."""

from __future__ import annotations

import json

from tests.sandbox.conftest import Sandbox, call_v3, push_fields

NAMES = ["Li", "张伟", "Zoë 🎉🎉", ""]


def _fields_with_names(prefix: str) -> list[tuple[str, str]]:
    fields = push_fields(0)
    for i, name in enumerate(NAMES, 1):
        fields += [
            (f"TargetMsg.{i}.Target", f"{name or 'nobody'}-device"),
            (f"TargetMsg.{i}.MsgKey", f"{prefix}-{i}"),
            (f"TargetMsg.{i}.TemplateKeyValue", json.dumps({"name": name, "money": str(10**i)})),
        ]
    return fields


def test_each_message_keeps_its_own_target_and_rendered_text(sandbox: Sandbox) -> None:
    assert call_v3(sandbox, _fields_with_names("t")).json()["ResultCode"] == "OK"

    stored = sandbox.messages()

    assert [(m["msgKey"], m["target"], m["content"]) for m in stored] == [
        (f"t-{i}", f"{name or 'nobody'}-device", f"Hello {name}, congratulations on winning {10**i} yuan")
        for i, name in enumerate(NAMES, 1)
    ]
    assert {m["title"] for m in stored} == {"Congratulations"}
    assert [m["msgKey"] for m in sandbox.messages(target="张伟-device")] == ["t-2"]
    assert sandbox.messages(msgKey="t-3")[0]["content"] == "Hello Zoë 🎉🎉, congratulations on winning 1000 yuan"


def test_filters_combine_across_calls_and_apps(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(2, key_prefix="a"))
    other = call_v3(sandbox, push_fields(2, key_prefix="a", AppId="OTHER")).json()["PushResult"]["Data"]

    assert [m["appId"] for m in sandbox.messages(msgKey="a-2")] == ["ONEX570DA89211721", "OTHER"]
    assert [m["msgKey"] for m in sandbox.messages(appId="OTHER")] == ["a-1", "a-2"]
    assert [m["msgKey"] for m in sandbox.messages(taskId=other, target="user-2")] == ["a-2"]
    assert sandbox.messages(appId="OTHER", target="user-9") == []


def test_allow_mode_stores_a_repeat_and_lookups_find_every_copy(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"duplicateMsgKey": "allow"}).raise_for_status()
    first = call_v3(sandbox, push_fields(2, key_prefix="twice")).json()["PushResult"]["Data"]
    second = call_v3(sandbox, push_fields(3, key_prefix="twice")).json()["PushResult"]["Data"]

    copies = sandbox.messages(msgKey="twice-2")

    assert [m["taskId"] for m in copies] == [first, second]
    assert [m["taskId"] for m in sandbox.messages(msgKey="twice-3")] == [second]
    stats = sandbox.stats()
    assert (stats["duplicateMsgKeys"], stats["storedMessages"]) == (2, 5)


def test_a_wholly_repeated_call_succeeds_and_stores_nothing_more(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(2, key_prefix="again"))

    retry = call_v3(sandbox, push_fields(2, key_prefix="again")).json()

    assert retry["ResultCode"] == "OK"
    assert sandbox.messages(taskId=retry["PushResult"]["Data"]) == []
    assert [m["msgKey"] for m in sandbox.messages(msgKey="again-1")] == ["again-1"]
    assert sandbox.stats()["storedMessages"] == 2
