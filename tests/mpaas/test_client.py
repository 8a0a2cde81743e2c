"""MpaasClient against a real HTTP server on 127.0.0.1: what it sends and how it reads replies."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from pushadmin.mpaas import errors, signing, wire
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import (
    CancelPushSchedulerRequest,
    PushMultipleRequest,
    QueryPushSchedulerListRequest,
    TargetMsg,
)

from .fake_gateway import FakeGateway, Reply, accept_then_close, closed_port_url, ok_body

SECRET = "s3cr3t-canary-Qx7"


def push_request() -> PushMultipleRequest:
    return PushMultipleRequest(
        app_id="ONEX570DA89211721",
        workspace_id="test",
        task_name="Multiple test",
        template_name="Test template",
        delivery_type=3,
        expired_seconds=600,
        target_msgs=[TargetMsg(target="userid1024", msg_key="k1", template_key_value={"name": "Zhang San"})],
    )


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as server:
        yield server


def make_client(url: str, **kwargs: object) -> MpaasClient:
    return MpaasClient(url, "testid", SECRET, **kwargs)  # type: ignore[arg-type]


def test_accepted_push_keeps_request_id_data_and_attempt_facts(gateway: FakeGateway) -> None:
    with make_client(gateway.url) as client:
        result = client.push_multiple(push_request())
    assert result.outcome == errors.Accepted(
        request_id="B589F4F4-CD68-3CE5-BDA0-6597F33E23916512",
        result_code="OK",
        push_result_data="903bf653c1b5442b9ba07684767bf9c2",
        result_message="",
        http_status=200,
        body=ok_body(),
    )
    assert result.attempt.http_status == 200
    assert result.attempt.duration_ms >= 0
    assert result.attempt.action == "PushMultiple"


def test_v3_request_on_the_wire_verifies_with_the_host_and_port_received(gateway: FakeGateway) -> None:
    with make_client(gateway.url) as client:
        client.push_multiple(push_request())
    got = gateway.received[0]
    assert got.path == "/"
    assert got.headers["host"] == gateway.url.removeprefix("http://")
    assert got.body == wire.encode_request(push_request())
    assert got.headers["x-acs-content-sha256"] == signing.sha256_hex(got.body)
    key, signed, signature = signing.parse_v3_authorization(got.headers["authorization"])
    assert key == "testid"
    assert {"host", "content-type", *signing.V3_REQUIRED_SIGNED_HEADERS} == set(signed)
    canonical = signing.v3_canonical_request("POST", "/", {}, got.headers, signed, signing.sha256_hex(got.body))
    assert signing.v3_signature(SECRET, signing.v3_string_to_sign(canonical)) == signature
    assert got.headers["x-acs-version"] == "2019-08-21"


def test_v1_request_on_the_wire_verifies_over_query_and_form(gateway: FakeGateway) -> None:
    with make_client(gateway.url, signature="v1", api_version="2020-10-28") as client:
        client.push_multiple(push_request())
    got = gateway.received[0]
    query = dict(parse_qsl(urlsplit(got.path).query, keep_blank_values=True))
    assert query["Version"] == "2020-10-28"
    params = {**query, **wire.decode_form(got.body)}
    assert signing.v1_signature(SECRET, signing.v1_string_to_sign("POST", params)) == query["Signature"]


def test_each_attempt_gets_a_fresh_nonce_and_one_connection_is_reused(gateway: FakeGateway) -> None:
    with make_client(gateway.url) as client:
        first = client.push_multiple(push_request())
        second = client.push_multiple(push_request())
    assert first.attempt.nonce != second.attempt.nonce
    nonces = {r.headers["x-acs-signature-nonce"] for r in gateway.received}
    assert nonces == {first.attempt.nonce, second.attempt.nonce}
    assert len(gateway.connections) == 1


THROTTLED_USER = {
    "RequestId": "R1",
    "Code": "Throttling.User",
    "Message": "Request was denied due to user flow control.",
}


@pytest.mark.parametrize(
    ("reply", "kind", "reason"),
    [
        (Reply.json(400, THROTTLED_USER), errors.Retryable, errors.THROTTLED),
        (Reply.json(503, {**THROTTLED_USER, "Code": "Throttling.Api"}), errors.Retryable, errors.THROTTLED),
        (
            Reply.json(200, {"RequestId": "R1", "ResultCode": "8011", "ResultMessage": "FLOW_CONTROL_ERROR"}),
            errors.Retryable,
            errors.THROTTLED,
        ),
        (
            Reply.json(500, {"RequestId": "R1", "Code": "InternalError", "Message": "x"}),
            errors.Retryable,
            errors.SERVER_ERROR,
        ),
        (
            Reply.json(503, {"RequestId": "R1", "Code": "ServiceUnavailable", "Message": "x"}),
            errors.Retryable,
            errors.SERVER_ERROR,
        ),
        (Reply(502, b"<html>bad gateway</html>"), errors.Ambiguous, errors.GATEWAY_ERROR),
        (Reply(504, b""), errors.Ambiguous, errors.GATEWAY_ERROR),
        (Reply(200, b"not json"), errors.Ambiguous, errors.UNREADABLE_RESPONSE),
        (
            Reply.json(400, {"RequestId": "R1", "Code": "SignatureNonceUsed", "Message": "x"}),
            errors.Retryable,
            errors.NONCE_REUSED,
        ),
    ],
)
def test_replies_that_are_retryable_or_ambiguous(gateway: FakeGateway, reply: Reply, kind: type, reason: str) -> None:
    gateway.replies.append(reply)
    with make_client(gateway.url) as client:
        result = client.push_multiple(push_request())
    assert isinstance(result.outcome, kind)
    assert result.outcome.reason == reason  # type: ignore[union-attr]
    assert result.attempt.http_status == reply.status


def test_http_429_is_throttling_and_retry_after_is_honoured(gateway: FakeGateway) -> None:
    gateway.replies.append(Reply(429, b"", {"Retry-After": "7"}))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Retryable)
    assert outcome.reason == errors.THROTTLED
    assert outcome.retry_after == 7.0


def test_nonce_reuse_is_flagged_as_a_client_bug(gateway: FakeGateway) -> None:
    gateway.replies.append(Reply.json(400, {"RequestId": "R9", "Code": "SignatureNonceUsed", "Message": "m"}))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Retryable) and outcome.client_bug
    assert (outcome.code, outcome.request_id) == ("SignatureNonceUsed", "R9")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidTimeStamp.Expired"),
        (400, "InvalidTimeStamp.Format"),
        (400, "SignatureDoesNotMatch"),
        (404, "InvalidAccessKeyId.NotFound"),
        (400, "InvalidAccessKeyId.Inactive"),
        (403, "Forbidden.RAM"),
    ],
)
def test_configuration_errors_are_rejected_and_marked(gateway: FakeGateway, status: int, code: str) -> None:
    gateway.replies.append(Reply.json(status, {"RequestId": "R2", "HostId": "h", "Code": code, "Message": "msg"}))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Rejected)
    assert outcome.config_error
    assert (outcome.code, outcome.message, outcome.http_status, outcome.request_id) == (code, "msg", status, "R2")
    assert outcome.meaning


def test_parameter_errors_are_rejected_but_not_config(gateway: FakeGateway) -> None:
    gateway.replies.append(
        Reply.json(
            400,
            {"RequestId": "R3", "Code": "MissingTemplateName", "Message": "TemplateName is mandatory for this action."},
        )
    )
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Rejected) and not outcome.config_error
    assert outcome.meaning == "The required parameter TemplateName is missing."


def test_business_result_code_is_rejected_with_its_plain_meaning(gateway: FakeGateway) -> None:
    body = {
        "RequestId": "R4",
        "ResultCode": "3022",
        "ResultMessage": "TEMPLATE_NOT_EXIST",
        "PushResult": {"Success": False},
    }
    gateway.replies.append(Reply.json(200, body))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert outcome == errors.Rejected(
        code="3022",
        message="TEMPLATE_NOT_EXIST",
        http_status=200,
        request_id="R4",
        meaning="The template does not exist in this workspace.",
        config_error=False,
    )


def test_wrong_instance_result_code_blocks_the_campaign(gateway: FakeGateway) -> None:
    gateway.replies.append(
        Reply.json(200, {"RequestId": "R5", "ResultCode": "8012", "ResultMessage": "非法instanceId"})
    )
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Rejected) and outcome.config_error
    assert outcome.message == "非法instanceId"


def test_ok_result_with_push_success_false_is_rejected(gateway: FakeGateway) -> None:
    body = {**ok_body(), "PushResult": {"Success": False, "ResultMsg": "param is invalid", "Data": ""}}
    gateway.replies.append(Reply.json(200, body))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Rejected)
    assert (outcome.code, outcome.message) == ("OK", "param is invalid")


def test_a_redirect_means_the_endpoint_is_misconfigured(gateway: FakeGateway) -> None:
    gateway.replies.append(Reply(301, b"", {"Location": "https://example.invalid/"}))
    with make_client(gateway.url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Rejected) and outcome.config_error
    assert len(gateway.received) == 1  # not followed


def test_read_timeout_after_the_request_left_is_ambiguous(gateway: FakeGateway) -> None:
    gateway.replies.append(Reply(200, b"{}", delay=1.0))
    with make_client(gateway.url, timeout=0.3) as client:
        result = client.push_multiple(push_request())
    assert isinstance(result.outcome, errors.Ambiguous)
    assert result.outcome.reason == errors.READ_TIMEOUT
    assert result.attempt.http_status is None
    assert result.attempt.error == result.outcome.message == errors.TIMED_OUT


def test_connection_dropped_after_the_request_was_written_is_ambiguous() -> None:
    with accept_then_close() as url, make_client(url) as client:
        outcome = client.push_multiple(push_request()).outcome
    assert isinstance(outcome, errors.Ambiguous)
    assert outcome.reason == errors.CONNECTION_LOST


def test_connection_refused_is_retryable_because_nothing_was_sent() -> None:
    with make_client(closed_port_url()) as client:
        result = client.push_multiple(push_request())
    assert isinstance(result.outcome, errors.Retryable)
    assert result.outcome.reason == errors.NOT_CONNECTED
    assert result.attempt.http_status is None
    # The class of failure only: an exception's text may carry what a remote host said.
    assert result.attempt.error == result.outcome.message == errors.CONNECTION_REFUSED


def test_cancel_and_query_are_accepted_with_their_result_content(gateway: FakeGateway) -> None:
    content = {"Data": {"TotalCount": 0, "List": []}}
    gateway.replies.append(
        Reply.json(200, {"RequestId": "R6", "ResultCode": "OK", "ResultMessage": "", "ResultContent": "true"})
    )
    gateway.replies.append(Reply.json(200, {"RequestId": "R7", "ResultCode": "OK", "ResultContent": content}))
    with make_client(gateway.url) as client:
        cancelled = client.cancel_push_scheduler(
            CancelPushSchedulerRequest(app_id="A", workspace_id="W", unique_ids=["u1", "u2"], type=0)
        )
        listed = client.query_push_scheduler_list(
            QueryPushSchedulerListRequest(app_id="A", workspace_id="W", start_time=1, end_time=2, page_size=50)
        )
    assert isinstance(cancelled.outcome, errors.Accepted) and cancelled.outcome.request_id == "R6"
    assert isinstance(listed.outcome, errors.Accepted) and listed.outcome.body["ResultContent"] == content
    assert wire.decode_form(gateway.received[0].body) == {
        "AppId": "A",
        "WorkspaceId": "W",
        "UniqueIds": "u1,u2",
        "Type": "0",
    }
    assert gateway.received[0].headers["x-acs-action"] == "CancelPushScheduler"
    assert gateway.received[1].headers["x-acs-action"] == "QueryPushSchedulerList"


def test_the_secret_never_appears_in_reprs_outcomes_or_attempts(gateway: FakeGateway) -> None:
    gateway.replies.append(Reply.json(400, {"RequestId": "R8", "Code": "SignatureDoesNotMatch", "Message": "sts"}))
    with make_client(gateway.url) as client:
        result = client.push_multiple(push_request())
        texts = [repr(client), str(client), repr(vars(client)), repr(result)]
    assert all(SECRET not in text for text in texts)
    assert all(SECRET.encode() not in r.body and SECRET not in str(r.headers) for r in gateway.received)


def test_a_method_refuses_the_wrong_request_type(gateway: FakeGateway) -> None:
    with make_client(gateway.url) as client, pytest.raises(TypeError):
        client.cancel_push_scheduler(push_request())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "kwargs"),
    [
        ("127.0.0.1:8765", {}),
        ("ftp://127.0.0.1", {}),
        ("http://127.0.0.1:8765/api", {}),
        ("http://127.0.0.1:8765", {"signature": "v2"}),
        ("http://127.0.0.1:8765", {"api_version": "2021-01-01"}),
    ],
)
def test_bad_settings_fail_at_construction(url: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        make_client(url, **kwargs)


def test_default_ports_are_not_part_of_the_signed_host() -> None:
    client = make_client("https://mpaas.cn-hangzhou.aliyuncs.com:443")
    request = client.build_http_request(push_request(), nonce="n", timestamp="2026-11-26T08:00:00Z")
    assert request.headers["host"] == "mpaas.cn-hangzhou.aliyuncs.com"
    client.close()
