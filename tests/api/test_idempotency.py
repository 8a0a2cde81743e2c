"""Idempotency-Key: one call per key and token, whatever the retries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pushadmin.accounts.models import Role
from pushadmin.api import tokens
from pushadmin.api.idempotency import _request_hash
from pushadmin.api.models import ApiToken, IdempotentAnswer
from pushadmin.campaigns.models import Template
from tests.api.api_client import token_for
from tests.personas import Cast

pytestmark = pytest.mark.django_db

TEMPLATE = {"name": "Welcome", "title": "Hi #name#", "content": "Code #code#"}


def post(secret: str, body: dict[str, Any], key: str = "") -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return Client().post(
        "/api/v1/templates",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


def test_a_key_reused_for_another_call_is_refused_and_creates_nothing(cast: Cast) -> None:
    secret = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    assert post(secret, TEMPLATE, "k-1").status_code == 201
    other = post(secret, {**TEMPLATE, "name": "Other"}, "k-1")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert other.json()["errors"] == [{"field": "Idempotency-Key", "message": "Use a new key for each new call."}]
    assert list(Template.objects.values_list("name", flat=True)) == ["Welcome"]


def test_a_refused_call_keeps_no_answer_so_the_corrected_retry_runs(cast: Cast) -> None:
    secret = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    assert post(secret, {**TEMPLATE, "name": "Bad, name"}, "k-2").status_code == 422
    assert not IdempotentAnswer.objects.exists()
    assert post(secret, TEMPLATE, "k-2").status_code == 201


def test_a_retry_while_the_first_call_runs_is_told_to_wait(cast: Cast) -> None:
    secret = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    token = ApiToken.objects.get(token_hash=tokens.hash_of(secret))
    first = Client().post("/api/v1/templates", json.dumps(TEMPLATE), content_type="application/json").wsgi_request
    IdempotentAnswer.objects.create(token=token, key="k-3", request_hash=_request_hash(first))
    waiting = post(secret, TEMPLATE, "k-3")
    assert waiting.status_code == 409 and "still running" in waiting.json()["detail"]
    assert not Template.objects.exists()


def test_keys_belong_to_their_token(cast: Cast) -> None:
    one = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    two = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    assert post(one, TEMPLATE, "shared").status_code == 201
    assert post(two, TEMPLATE, "shared").status_code == 422  # ran: the name is taken now
    assert Template.objects.count() == 1
