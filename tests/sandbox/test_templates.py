"""The template actions of the sandbox over real HTTP, with our client and with the official Tea SDK."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_mpaas20200710 import models
from alibabacloud_mpaas20200710.client import Client
from alibabacloud_tea_openapi import models as openapi_models

from pushadmin.mpaas import errors
from pushadmin.mpaas.client import MpaasClient, SignatureScheme, TemplateCallResult
from pushadmin.mpaas.request_types import (
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
    PushMultipleRequest,
    TargetMsg,
)
from pushadmin.sandbox.options import DEFAULT_TEMPLATE_NAMES
from tests.sandbox.conftest import KEY_ID, SECRET, Sandbox

APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}
SCHEMES: list[SignatureScheme] = ["v3", "v1"]


def client(sandbox: Sandbox, scheme: SignatureScheme = "v3") -> MpaasClient:
    return MpaasClient(sandbox.url, KEY_ID, SECRET, signature=scheme, api_version="2020-07-10")


def create(
    c: MpaasClient, name: str = "spring", title: str = "Hi #name#", content: str = "You won #money#"
) -> TemplateCallResult[str]:
    return c.create_template(CreateTemplateRequest(**APP, template_name=name, title=title, content=content))


def push(c: MpaasClient, template: str, values: dict[str, str]) -> errors.Outcome:
    target = TargetMsg(target="user-1", msg_key=uuid.uuid4().hex, template_key_value=values)
    request = PushMultipleRequest(
        **APP,
        task_name="t",
        template_name=template,
        delivery_type=3,
        expired_seconds=600,
        target_msgs=[target],
    )
    return c.push_multiple(request).outcome


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_created_template_is_what_push_multiple_renders(sandbox: Sandbox, scheme: SignatureScheme) -> None:
    with client(sandbox, scheme) as c:
        created = create(c)
        assert isinstance(created.outcome, errors.Accepted) and created.value
        outcome = push(c, "spring", {"name": "Li", "money": "8"})
    assert isinstance(outcome, errors.Accepted)
    [message] = sandbox.messages(taskId=outcome.push_result_data)
    assert (message["title"], message["content"]) == ("Hi Li", "You won 8")


def test_get_answers_the_template_by_name_and_by_id(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        template_id = create(c).value
        by_name = c.get_template(GetTemplateRequest(**APP, template_name="spring")).value
        by_id = c.get_template(GetTemplateRequest(**APP, template_id=template_id)).value
    assert by_name is not None and by_name == by_id
    assert (by_name.id, by_name.name, by_name.title, by_name.content) == (
        template_id,
        "spring",
        "Hi #name#",
        "You won #money#",
    )


def test_get_of_a_missing_template_is_3022(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        outcome = c.get_template(GetTemplateRequest(**APP, template_name="nowhere")).outcome
        wrong_id = c.get_template(GetTemplateRequest(**APP, template_id="999999")).outcome
    assert isinstance(outcome, errors.Rejected) and outcome.code == "3022"
    assert isinstance(wrong_id, errors.Rejected) and wrong_id.code == "3022"


def test_creating_a_name_twice_is_3036_and_keeps_the_first(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        create(c)
        again = create(c, title="Other")
        kept = c.get_template(GetTemplateRequest(**APP, template_name="spring")).value
    assert isinstance(again.outcome, errors.Rejected) and again.outcome.code == "3036"
    assert kept is not None and kept.title == "Hi #name#"


@pytest.mark.parametrize(
    ("name", "title", "content", "code"),
    [
        ("", "t", "c", "3037"),
        ("a,b", "t", "c", "3038"),
        ("n" * 101, "t", "c", "3038"),
        ("ok", "t", "", "3039"),
        ("ok", "t", "c" * 4001, "3039"),
        ("ok", "", "c", "3040"),
    ],
    ids=["empty-name", "comma", "long-name", "empty-content", "long-content", "empty-title"],
)
def test_empty_or_invalid_fields_are_refused_with_their_code(
    sandbox: Sandbox, name: str, title: str, content: str, code: str
) -> None:
    with client(sandbox) as c:
        outcome = create(c, name, title, content).outcome
    assert isinstance(outcome, errors.Rejected) and outcome.code == code
    assert sandbox.stats()["rejectedByCode"] == {code: 1}


def test_delete_removes_the_template_and_push_multiple_then_answers_3022(sandbox: Sandbox) -> None:
    with client(sandbox, "v1") as c:
        create(c)
        deleted = c.delete_template(DeleteTemplateRequest(**APP, template_name="spring"))
        again = c.delete_template(DeleteTemplateRequest(**APP, template_name="spring"))
        outcome = push(c, "spring", {"name": "Li", "money": "8"})
    assert isinstance(deleted.outcome, errors.Accepted)
    assert isinstance(again.outcome, errors.Rejected) and again.outcome.code == "3022"
    assert isinstance(outcome, errors.Rejected) and outcome.code == "3022"


def test_list_pages_through_the_start_up_templates_and_the_created_ones(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        for name in ("a", "b"):
            create(c, name)
        first = c.list_template_page(ListTemplatePageRequest(**APP, current_page=1, page_size=3)).value
        second = c.list_template_page(ListTemplatePageRequest(**APP, current_page=2, page_size=3)).value
    assert first is not None and second is not None
    assert first.total_size == second.total_size == len(DEFAULT_TEMPLATE_NAMES) + 2
    names = [t.name for t in first.templates + second.templates]
    assert names == [*DEFAULT_TEMPLATE_NAMES, "a", "b"]
    assert (second.current_page, second.page_size) == (2, 3)


def test_templates_belong_to_one_app_and_reset_brings_back_the_start_up_ones(sandbox: Sandbox) -> None:
    other = {"app_id": "ONEX570DA89211721", "workspace_id": "other"}
    with client(sandbox) as c:
        create(c)
        elsewhere = c.get_template(GetTemplateRequest(**other, template_name="spring")).outcome
        c.delete_template(DeleteTemplateRequest(**APP, template_name="demo-welcome"))
        sandbox.reset()
        after_reset = c.get_template(GetTemplateRequest(**APP, template_name="spring")).outcome
        demo = c.get_template(GetTemplateRequest(**APP, template_name="demo-welcome")).value
    assert isinstance(elsewhere, errors.Rejected) and elsewhere.code == "3022"
    assert isinstance(after_reset, errors.Rejected) and after_reset.code == "3022"
    assert demo is not None and demo.content == "Hello #name#, congratulations on winning #money# yuan"


def test_templates_from_the_start_up_file_keep_working(start_sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    path.write_text(json.dumps([{"name": "filed", "title": "T #a#", "content": "C #a#", "aliases": ["alias"]}]))
    sandbox = start_sandbox("--templates", str(path))
    with client(sandbox) as c:
        found = c.get_template(GetTemplateRequest(**APP, template_name="alias")).value
        outcome = push(c, "filed", {"a": "1"})
    assert found is not None and (found.title, found.content) == ("T #a#", "C #a#")
    assert isinstance(outcome, errors.Accepted)
    assert sandbox.messages()[0]["title"] == "T 1"


def test_an_app_holds_at_most_100_templates(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        for i in range(100 - len(DEFAULT_TEMPLATE_NAMES)):
            assert isinstance(create(c, f"t{i}").outcome, errors.Accepted)
        one_more = create(c, "one-more").outcome
    assert isinstance(one_more, errors.Rejected) and one_more.code == "3028"


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["v3", "v1"])
def test_the_tea_sdk_creates_gets_lists_and_deletes(sandbox: Sandbox, algorithm: str | None) -> None:
    config = openapi_models.Config(
        access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=sandbox.endpoint, protocol="http"
    )
    if algorithm:
        config.signature_algorithm = algorithm
    sdk = Client(config)
    created = sdk.create_template(
        models.CreateTemplateRequest(**APP, template_name="sdk", title="Hi #name#", content="C", variables="name")
    ).body
    assert (created.code, created.msg, created.success) == ("100", "SUCCESS", True)
    got = sdk.get_template(models.GetTemplateRequest(**APP, template_id=created.data)).body
    assert (got.data.name, got.data.title, got.data.variables) == ("sdk", "Hi #name#", "name")
    page = sdk.list_template_page(models.ListTemplatePageRequest(**APP, current_page=1, page_size=50)).body
    assert page.total_size == len(page.data) == len(DEFAULT_TEMPLATE_NAMES) + 1
    deleted = sdk.delete_template(models.DeleteTemplateRequest(**APP, template_name="sdk")).body
    assert deleted.code == "100"
    missing = sdk.get_template(models.GetTemplateRequest(**APP, template_name="sdk")).body
    assert (missing.code, missing.success) == ("3022", False)
