"""The template actions on the wire: field names, encoding, validation, and parity with the Tea SDK."""

from __future__ import annotations

from typing import Any

import pytest

from pushadmin.mpaas import signing, wire
from pushadmin.mpaas.request_types import (
    ApiRequest,
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
)
from pushadmin.mpaas.validation import (
    MAX_TEMPLATE_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    validate_create_template,
    validate_list_template_page,
    validate_template_lookup,
)

from . import sdk_capture as sdk
from . import vectors as v

TRICKY = "Zhang San + 张三 😀 *~% a&b=c"
APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}


def rich_create() -> CreateTemplateRequest:
    return CreateTemplateRequest(
        **APP,
        tenant_id="LZFPEFIM",
        template_name=f"spring {TRICKY}",
        title="Hi #name#",
        content=f"You won #money# yuan, {TRICKY}",
        variables=["name", "money"],
        desc_info="Spring promo",
        uri="https://example.com/a?b=c&d=e",
        show_style=0,
        push_style=1,
        image_urls={"defaultUrl": "https://example.com/i.png"},
        icon_urls={"defaultUrl": "https://example.com/c.png"},
        jump_action=1,
    )


def test_create_template_uses_the_wire_names_and_joins_variables_with_commas() -> None:
    fields = dict(wire.request_fields(rich_create()))
    assert fields == {
        "AppId": "ONEX570DA89211721",
        "Content": f"You won #money# yuan, {TRICKY}",
        "DescInfo": "Spring promo",
        "IconUrls": '{"defaultUrl":"https://example.com/c.png"}',
        "ImageUrls": '{"defaultUrl":"https://example.com/i.png"}',
        "JumpAction": "1",
        "PushStyle": "1",
        "ShowStyle": "0",
        "TemplateName": f"spring {TRICKY}",
        "TenantId": "LZFPEFIM",
        "Title": "Hi #name#",
        "Uri": "https://example.com/a?b=c&d=e",
        "Variables": "name,money",
        "WorkspaceId": "test",
    }


@pytest.mark.parametrize(
    "request_",
    [
        GetTemplateRequest(**APP, template_name="spring"),
        GetTemplateRequest(**APP, template_id="42", tenant_id="T"),
        DeleteTemplateRequest(**APP, template_name="spring"),
        ListTemplatePageRequest(**APP, current_page=2, page_size=20),
    ],
    ids=["get-by-name", "get-by-id", "delete", "list"],
)
def test_lookups_and_pages_leave_unset_fields_out_and_read_back_the_same(request_: ApiRequest) -> None:
    fields = dict(wire.request_fields(request_))
    assert all(value != "None" for value in fields.values())
    assert wire.parse_request(request_.ACTION, wire.decode_form(wire.encode_request(request_))) == request_


def test_create_template_reads_back_from_its_form_body() -> None:
    request = rich_create()
    parsed = wire.parse_request("CreateTemplate", wire.decode_form(wire.encode_request(request)))
    assert isinstance(parsed, CreateTemplateRequest)
    assert tuple(parsed.variables or ()) == ("name", "money")
    assert parsed.title == request.title and parsed.image_urls == request.image_urls


# ------------------------------------------------------------------ validation


def test_a_complete_template_has_no_problems() -> None:
    assert validate_create_template(rich_create()) == []


def test_empty_and_invalid_template_fields_are_named_by_their_wire_path() -> None:
    request = CreateTemplateRequest(
        app_id="",
        workspace_id="test",
        template_name="a,b",
        title=" ",
        content="x" * 5000,
        variables=["name", "two words", "name"],
        show_style=3,
        uri="  ",
    )
    problems = {(p.field, p.message) for p in validate_create_template(request)}
    assert ("AppId", "is required.") in problems
    assert ("TemplateName", "must not contain commas.") in problems
    assert ("Title", "is required.") in problems
    assert ("Content", "is 5000 characters long; at most 4000 are allowed.") in problems
    assert ("Variables", "names must be 1 to 64 characters without spaces, '#' or commas.") in problems
    assert ("Variables", "names each placeholder once; repeated: name.") in problems
    assert ("ShowStyle", "must be 0 (normal) or 1 (silent).") in problems
    assert ("Uri", "must not be blank when given.") in problems


def test_overlong_name_and_title_are_refused() -> None:
    request = CreateTemplateRequest(
        **APP, template_name="n" * (MAX_TEMPLATE_NAME_LENGTH + 1), title="t" * (MAX_TITLE_LENGTH + 1), content="c"
    )
    fields = [p.field for p in validate_create_template(request)]
    assert fields == ["TemplateName", "Title"]


def test_a_lookup_needs_an_id_or_a_name() -> None:
    assert [p.field for p in validate_template_lookup(GetTemplateRequest(**APP))] == ["TemplateName"]
    assert validate_template_lookup(DeleteTemplateRequest(**APP, template_id="7")) == []
    assert [p.field for p in validate_template_lookup(GetTemplateRequest(**APP, template_name="a,b"))] == [
        "TemplateName"
    ]


def test_pages_count_from_one() -> None:
    problems = validate_list_template_page(ListTemplatePageRequest(**APP, current_page=0, page_size=0))
    assert [p.field for p in problems] == ["CurrentPage", "PageSize"]
    assert validate_list_template_page(ListTemplatePageRequest(**APP)) == []


# ------------------------------------------------------------------ the official SDK


def tea_model(request: ApiRequest) -> dict[str, Any]:
    """The request spelled for the Tea SDK's model: the same values, JSON and list fields pre-serialised."""
    model: dict[str, Any] = {}
    for name, value in vars(request).items():
        if value is None:
            continue
        if name == "variables":
            value = ",".join(value)
        elif isinstance(value, dict):
            value = wire.dump_json(value)
        model[name] = value
    return model


SDK_REQUESTS = [
    pytest.param(rich_create(), id="CreateTemplate"),
    pytest.param(GetTemplateRequest(**APP, template_name=TRICKY, tenant_id="T"), id="GetTemplate-by-name"),
    pytest.param(GetTemplateRequest(**APP, template_id="42"), id="GetTemplate-by-id"),
    pytest.param(DeleteTemplateRequest(**APP, template_name="spring", template_id="7"), id="DeleteTemplate"),
    pytest.param(ListTemplatePageRequest(**APP, current_page=3, page_size=25, tenant_id="T"), id="ListTemplatePage"),
]


@pytest.mark.parametrize("request_", SDK_REQUESTS)
def test_v3_body_and_signature_equal_the_tea_sdk(monkeypatch: pytest.MonkeyPatch, request_: ApiRequest) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v3", tea_model(request_))
    assert ours.content == sent.body
    assert sent.headers["x-acs-action"] == ours.headers["x-acs-action"] == request_.ACTION
    assert ours.headers["x-acs-content-sha256"] == sent.headers["x-acs-content-sha256"]
    # Over our list of signed headers, with the SDK's values for them, the SDK's request has our signature.
    _, our_signed, our_signature = signing.parse_v3_authorization(ours.headers["authorization"])
    canonical = signing.v3_canonical_request("POST", "/", {}, sent.headers, our_signed, signing.sha256_hex(sent.body))
    assert signing.v3_signature(v.SECRET, signing.v3_string_to_sign(canonical)) == our_signature


@pytest.mark.parametrize("request_", SDK_REQUESTS)
def test_v1_body_query_and_signature_equal_the_tea_sdk(monkeypatch: pytest.MonkeyPatch, request_: ApiRequest) -> None:
    ours, sent = sdk.ours_and_tea(monkeypatch, request_, "v1", tea_model(request_))
    assert ours.content == sent.body
    assert dict(ours.url.params) == sent.query
    assert sent.query["Action"] == request_.ACTION
