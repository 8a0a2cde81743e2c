"""MpaasClient's template actions against a real HTTP server on 127.0.0.1: typed values and outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pushadmin.mpaas import errors, wire
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import (
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
)
from pushadmin.mpaas.template_replies import TemplateInfo

from .fake_gateway import FakeGateway, Reply, accept_then_close, closed_port_url

SECRET = "s3cr3t-canary-Qx7"
APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}
RID = "6A0B1C2D-0000-4000-8000-000000000001"
DATA = {
    "Id": "17",
    "Name": "spring",
    "Title": "Hi #name#",
    "Content": "You won #money# yuan",
    "Variables": "name,money",
    "Uri": "",
    "GmtCreate": "1796417572827",
}


def template_reply(code: str = "100", success: bool = True, **fields: Any) -> Reply:
    msg = "SUCCESS" if code == "100" else "TEMPLATE_NOT_EXIST: spring"
    return Reply.json(200, {"RequestId": RID, "Success": success, "Code": code, "Msg": msg, **fields})


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as server:
        yield server


def client(url: str) -> MpaasClient:
    return MpaasClient(url, "testid", SECRET)


def test_create_template_returns_the_new_id_and_sends_the_action(gateway: FakeGateway) -> None:
    gateway.replies.append(template_reply(Data="17"))
    request = CreateTemplateRequest(**APP, template_name="spring", title="Hi #name#", content="c", variables=["name"])
    with client(gateway.url) as c:
        result = c.create_template(request)
    assert isinstance(result.outcome, errors.Accepted)
    assert result.outcome.result_code == "100" and result.outcome.request_id == RID
    assert result.value == "17"
    assert result.attempt.action == "CreateTemplate"
    sent = gateway.received[0]
    assert sent.headers["x-acs-action"] == "CreateTemplate"
    assert wire.decode_form(sent.body)["Variables"] == "name"


def test_get_template_reads_the_data_into_a_template_info(gateway: FakeGateway) -> None:
    gateway.replies.append(template_reply(Data=DATA))
    with client(gateway.url) as c:
        result = c.get_template(GetTemplateRequest(**APP, template_name="spring"))
    assert result.value == TemplateInfo(
        id="17",
        name="spring",
        title="Hi #name#",
        content="You won #money# yuan",
        variables=("name", "money"),
        uri="",
        gmt_create="1796417572827",
    )


def test_a_missing_template_is_rejected_with_3022_and_no_value(gateway: FakeGateway) -> None:
    gateway.replies.append(template_reply("3022", success=False))
    with client(gateway.url) as c:
        result = c.get_template(GetTemplateRequest(**APP, template_name="spring"))
    assert isinstance(result.outcome, errors.Rejected)
    assert result.outcome.code == "3022" and not result.outcome.config_error
    assert result.outcome.meaning == "The template does not exist in this workspace."
    assert result.value is None


def test_list_template_page_reads_every_entry_and_the_counts(gateway: FakeGateway) -> None:
    entries = [{**DATA, "Id": str(i), "Name": f"t{i}"} for i in (1, 2)]
    gateway.replies.append(template_reply(Data=entries, CurrentPage=2, PageSize=2, TotalSize=5))
    with client(gateway.url) as c:
        result = c.list_template_page(ListTemplatePageRequest(**APP, current_page=2, page_size=2))
    assert result.value is not None
    assert [t.name for t in result.value.templates] == ["t1", "t2"]
    assert (result.value.current_page, result.value.page_size, result.value.total_size) == (2, 2, 5)


def test_delete_template_is_accepted_with_code_100(gateway: FakeGateway) -> None:
    gateway.replies.append(template_reply())
    with client(gateway.url) as c:
        result = c.delete_template(DeleteTemplateRequest(**APP, template_id="17"))
    assert isinstance(result.outcome, errors.Accepted) and result.value is True


@pytest.mark.parametrize(
    ("reply", "kind", "reason"),
    [
        (template_reply("8011", success=False), errors.Retryable, errors.THROTTLED),
        (Reply.json(503, {"Code": "ServiceUnavailable", "Message": "x"}), errors.Retryable, errors.SERVER_ERROR),
        (Reply.json(400, {"Code": "Throttling.User", "Message": "x"}), errors.Retryable, errors.THROTTLED),
        (Reply.json(504, {"Code": "GatewayTimeout"}), errors.Ambiguous, errors.GATEWAY_ERROR),
        (Reply(200, b"<html>oops</html>"), errors.Ambiguous, errors.UNREADABLE_RESPONSE),
        # Success without the template it was asked for cannot be read as an answer.
        (template_reply(), errors.Ambiguous, errors.UNREADABLE_RESPONSE),
    ],
    ids=["8011", "503", "throttled", "504", "not-json", "no-data"],
)
def test_failures_are_classified_as_for_push_calls(
    gateway: FakeGateway, reply: Reply, kind: type[Any], reason: str
) -> None:
    gateway.replies.append(reply)
    with client(gateway.url) as c:
        result = c.get_template(GetTemplateRequest(**APP, template_name="spring"))
    assert isinstance(result.outcome, kind)
    assert result.outcome.reason == reason
    assert result.value is None


@pytest.mark.parametrize("code", ["8012", "SignatureDoesNotMatch"])
def test_settings_errors_are_rejected_as_config_errors(gateway: FakeGateway, code: str) -> None:
    if code.isdigit():
        gateway.replies.append(template_reply(code, success=False))
    else:
        gateway.replies.append(Reply.json(400, {"Code": code, "Message": "server string to sign is: ..."}))
    with client(gateway.url) as c:
        result = c.create_template(CreateTemplateRequest(**APP, template_name="s", title="t", content="c"))
    assert isinstance(result.outcome, errors.Rejected)
    assert result.outcome.config_error and result.outcome.code == code


def test_no_connection_is_retryable_and_a_dropped_reply_is_ambiguous() -> None:
    request = CreateTemplateRequest(**APP, template_name="s", title="t", content="c")
    with client(closed_port_url()) as c:
        assert isinstance(c.create_template(request).outcome, errors.Retryable)
    with accept_then_close() as url, client(url) as c:
        assert isinstance(c.create_template(request).outcome, errors.Ambiguous)
