"""/_sandbox endpoints: messages, stats, MsgKey duplicates, fault injection, reset."""

from __future__ import annotations

import time

import pytest
import requests

from tests.sandbox.conftest import RENDERED, Sandbox, call_v3, push_fields


def test_messages_record_every_accepted_target(sandbox: Sandbox) -> None:
    body = call_v3(sandbox, push_fields(3, key_prefix="m")).json()

    messages = sandbox.messages()

    assert [m["msgKey"] for m in messages] == ["m-1", "m-2", "m-3"]
    first = messages[0]
    assert first["target"] == "user-1"
    assert (first["appId"], first["workspaceId"]) == ("ONEX570DA89211721", "test")
    assert (first["title"], first["content"]) == ("Congratulations", RENDERED)
    assert first["taskId"] == body["PushResult"]["Data"]
    assert first["requestId"] == body["RequestId"]
    assert first["receivedAt"].endswith("Z")


def test_messages_filter_and_page(sandbox: Sandbox) -> None:
    first = call_v3(sandbox, push_fields(3, key_prefix="a")).json()["PushResult"]["Data"]
    call_v3(sandbox, push_fields(2, key_prefix="b"))

    assert [m["msgKey"] for m in sandbox.messages(msgKey="b-2")] == ["b-2"]
    assert len(sandbox.messages(taskId=first)) == 3
    page = sandbox.get("/_sandbox/messages", offset=1, limit=2)
    assert page["total"] == 5
    assert [m["msgKey"] for m in page["messages"]] == ["a-2", "a-3"]


def test_repeated_msgkeys_are_dropped_and_counted(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(2, key_prefix="dup"))

    again = call_v3(sandbox, push_fields(3, key_prefix="dup")).json()

    assert again["ResultCode"] == "OK"
    assert [m["msgKey"] for m in sandbox.messages()] == ["dup-1", "dup-2", "dup-3"]
    stats = sandbox.stats()
    assert (stats["duplicateMsgKeys"], stats["messagesAccepted"]) == (2, 3)


def test_msgkeys_are_unique_per_app_only(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(1, key_prefix="same"))
    call_v3(sandbox, push_fields(1, key_prefix="same", AppId="ANOTHER"))

    assert len(sandbox.messages(msgKey="same-1")) == 2
    assert sandbox.stats()["duplicateMsgKeys"] == 0


def test_reject_mode_refuses_the_whole_call(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"duplicateMsgKey": "reject"}).raise_for_status()
    call_v3(sandbox, push_fields(1, key_prefix="r"))

    again = call_v3(sandbox, push_fields(2, key_prefix="r")).json()

    assert again["ResultCode"] == "3028"
    assert "r-1" in again["ResultMessage"]
    assert len(sandbox.messages()) == 1
    assert sandbox.stats()["duplicateMsgKeys"] == 1


def test_throttle_refuses_before_applying(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"throttle": 1.0}).raise_for_status()

    response = call_v3(sandbox, push_fields())

    assert (response.status_code, response.json()["Code"]) == (400, "Throttling.User")
    assert sandbox.messages() == []
    assert sandbox.stats()["faultsInjected"] == {"Throttling.User": 1}


def test_error5xx_refuses_before_applying(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"error5xx": 1}).raise_for_status()

    response = call_v3(sandbox, push_fields())

    assert (response.status_code, response.json()["Code"]) == (503, "ServiceUnavailable")
    assert sandbox.messages() == []


def test_drop_after_accept_applies_then_hangs_up(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"dropAfterAccept": 1.0}).raise_for_status()

    with pytest.raises(requests.ConnectionError):
        call_v3(sandbox, push_fields(2))

    assert len(sandbox.messages()) == 2
    assert sandbox.stats()["faultsInjected"] == {"dropAfterAccept": 1}


def test_latency_delays_the_answer(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"latencyMs": 300}).raise_for_status()

    started = time.monotonic()
    response = call_v3(sandbox, push_fields())

    assert time.monotonic() - started >= 0.3
    assert response.json()["ResultCode"] == "OK"


def test_a_seed_makes_the_fault_dice_repeat_themselves(sandbox: Sandbox) -> None:
    def codes() -> list[str]:
        sandbox.post("/_sandbox/faults", {"throttle": 0.5, "seed": 42}).raise_for_status()
        return [
            call_v3(sandbox, push_fields(1, key_prefix=f"s{index}-")).json().get("Code") or "OK" for index in range(12)
        ]

    first = codes()
    sandbox.post("/_sandbox/reset").raise_for_status()

    assert codes() == first
    assert set(first) == {"OK", "Throttling.User"}


def test_bad_fault_settings_are_refused(sandbox: Sandbox) -> None:
    assert sandbox.post("/_sandbox/faults", {"throttle": 2}).status_code == 400
    assert sandbox.post("/_sandbox/faults", {"explode": 1}).status_code == 400
    assert sandbox.post("/_sandbox/faults", {"throttle": 1.0, "seed": "seven"}).status_code == 400
    assert sandbox.get("/_sandbox/faults")["throttle"] == 0.0


def test_clock_skew_knob_shifts_the_timestamp_window(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/faults", {"clockSkewSeconds": 3600}).raise_for_status()

    assert call_v3(sandbox, push_fields()).json()["Code"] == "InvalidTimeStamp.Expired"


def test_stats_count_calls_and_rejections(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(4))
    call_v3(sandbox, push_fields(DeliveryType="9"))
    call_v3(sandbox, push_fields(), secret="wrong")

    stats = sandbox.stats()

    assert stats["calls"] == 3
    assert stats["acceptedCalls"] == 1
    assert stats["messagesAccepted"] == 4
    assert stats["rejectedByCode"] == {"3009": 1, "SignatureDoesNotMatch": 1}


def test_reset_clears_messages_nonces_stats_and_faults(sandbox: Sandbox) -> None:
    call_v3(sandbox, push_fields(), nonce="reused")
    sandbox.post("/_sandbox/faults", {"latencyMs": 5}).raise_for_status()

    sandbox.reset()

    assert sandbox.messages() == []
    assert sandbox.stats()["calls"] == 0
    assert sandbox.get("/_sandbox/faults")["latencyMs"] == 0
    assert call_v3(sandbox, push_fields(), nonce="reused").json()["ResultCode"] == "OK"
