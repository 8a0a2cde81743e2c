"""Signature verification, replay and routing, driven with hand-built requests."""

from __future__ import annotations

import uuid

import requests

from pushadmin.mpaas import signing, wire
from tests.sandbox.conftest import KEY_ID, SECRET, Sandbox, call_v3, now_stamp, push_fields


def _gateway_error(response: requests.Response, code: str, status: int) -> dict[str, str]:
    body = response.json()
    assert (response.status_code, body["Code"]) == (status, code)
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    return body


def test_v3_with_the_minimal_header_set_is_accepted(sandbox: Sandbox) -> None:
    response = call_v3(sandbox, push_fields())

    assert response.status_code == 200
    assert response.json()["ResultCode"] == "OK"
    assert response.headers["x-acs-request-id"] == response.json()["RequestId"]


def test_v3_tampered_body_echoes_the_string_to_sign(sandbox: Sandbox) -> None:
    fields = push_fields()
    tampered = wire.encode_form([*fields[:-1], (fields[-1][0], '{"money":"9","name":"X"}')])

    body = _gateway_error(call_v3(sandbox, fields, body=tampered), "SignatureDoesNotMatch", 400)

    assert body["Message"].split("server string to sign is:")[1].startswith("ACS3-HMAC-SHA256\n")
    assert sandbox.messages() == []


def test_v3_must_sign_the_x_acs_headers(sandbox: Sandbox) -> None:
    body = wire.encode_form(push_fields())
    headers = signing.v3_sign_headers(
        access_key_id=KEY_ID,
        secret=SECRET,
        host=sandbox.endpoint,
        action="PushMultiple",
        version="2020-07-10",
        body=body,
        nonce=uuid.uuid4().hex,
        timestamp=now_stamp(),
    )
    headers["Authorization"] = headers["Authorization"].replace(";x-acs-version", "")

    response = requests.post(sandbox.url, data=body, headers=headers, timeout=10)

    _gateway_error(response, "IncompleteSignature", 400)


def test_v3_host_is_signed_with_its_port(sandbox: Sandbox) -> None:
    body = wire.encode_form(push_fields())
    headers = signing.v3_sign_headers(
        access_key_id=KEY_ID,
        secret=SECRET,
        host="127.0.0.1",  # the port left out: what a proxy rewriting Host would do
        action="PushMultiple",
        version="2020-07-10",
        body=body,
        nonce=uuid.uuid4().hex,
        timestamp=now_stamp(),
    )
    headers["host"] = sandbox.endpoint

    response = requests.post(sandbox.url, data=body, headers=headers, timeout=10)

    _gateway_error(response, "SignatureDoesNotMatch", 400)


def test_v1_string_to_sign_is_echoed_for_the_legacy_sdk(sandbox: Sandbox) -> None:
    params = signing.v1_common_params(
        access_key_id=KEY_ID,
        action="PushMultiple",
        version="2019-08-21",
        nonce=uuid.uuid4().hex,
        timestamp=now_stamp(),
    )
    fields = push_fields()
    params["Signature"] = "bm90IGEgc2lnbmF0dXJl"
    expected = signing.v1_string_to_sign("POST", {**params, **dict(fields)})

    response = requests.post(sandbox.url, params=params, data=wire.encode_form(fields), timeout=10)

    body = _gateway_error(response, "SignatureDoesNotMatch", 400)
    assert body["Message"].split(":")[1] == expected


def test_timestamps_within_15_minutes_pass_and_beyond_fail(sandbox: Sandbox) -> None:
    assert call_v3(sandbox, push_fields(), timestamp=now_stamp(14 * 60)).status_code == 200
    assert call_v3(sandbox, push_fields(), timestamp=now_stamp(-14 * 60)).status_code == 200
    _gateway_error(
        call_v3(sandbox, push_fields(), timestamp=now_stamp(16 * 60)),
        "InvalidTimeStamp.Expired",
        400,
    )
    _gateway_error(
        call_v3(sandbox, push_fields(), timestamp="2026-11-26 08:00:00"),
        "InvalidTimeStamp.Format",
        400,
    )


def test_a_forged_request_does_not_burn_the_nonce(sandbox: Sandbox) -> None:
    nonce = uuid.uuid4().hex
    forged = call_v3(sandbox, push_fields(), nonce=nonce, secret="guess")
    genuine = call_v3(sandbox, push_fields(), nonce=nonce)
    replay = call_v3(sandbox, push_fields(), nonce=nonce)

    _gateway_error(forged, "SignatureDoesNotMatch", 400)
    assert genuine.json()["ResultCode"] == "OK"
    _gateway_error(replay, "SignatureNonceUsed", 400)


def test_nonces_are_remembered_per_access_key(start_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = start_sandbox("--credential", "second:second-secret")
    nonce = uuid.uuid4().hex

    first = call_v3(sandbox, push_fields(), nonce=nonce)
    other_key = call_v3(sandbox, push_fields(), nonce=nonce, key_id="second", secret="second-secret")

    assert first.json()["ResultCode"] == "OK"
    assert other_key.json()["ResultCode"] == "OK"


def test_unknown_action_and_version_are_not_found(sandbox: Sandbox) -> None:
    _gateway_error(call_v3(sandbox, push_fields(), action="PushSimple"), "InvalidApi.NotFound", 404)
    _gateway_error(call_v3(sandbox, push_fields(), version="2018-01-01"), "InvalidApi.NotFound", 404)


def test_every_supported_version_is_routed(sandbox: Sandbox) -> None:
    for version in ("2019-08-21", "2020-07-10", "2020-10-28"):
        assert call_v3(sandbox, push_fields(), version=version).json()["ResultCode"] == "OK"


def test_unsigned_request_is_refused(sandbox: Sandbox) -> None:
    response = requests.post(sandbox.url, data=wire.encode_form(push_fields()), timeout=10)

    _gateway_error(response, "MissingSignature", 400)
