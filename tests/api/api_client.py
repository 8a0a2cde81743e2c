"""Calling the API over real HTTP and checking every answer against its own OpenAPI document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from django.test import Client
from django.utils import timezone

from pushadmin.api import tokens


def call(secret: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One JSON call through Django's test client, signed with the token `secret`."""
    return Client().generic(
        method,
        f"/api/v1{path}",
        json.dumps(body or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def token_for(user: Any, workspace: Any, *roles: str, days: int = 30) -> str:
    return tokens.create(
        user,
        workspace,
        name=f"{user.get_username()} {'+'.join(roles)}",
        roles=roles,
        expires_at=timezone.now() + timedelta(days=days),
    ).secret


@dataclass
class Api:
    """An httpx client for /api/v1/ that validates each response against the OpenAPI document."""

    base: str
    secret: str
    document: dict[str, Any]

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=f"{self.base}/api/v1", timeout=30, trust_env=False)
        self.schema = schemathesis.openapi.from_dict(self.document)

    def call(self, method: str, path: str, *, validate: bool = True, **kwargs: Any) -> httpx.Response:
        signed = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        headers = {**signed, **kwargs.pop("headers", {})}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 500, response.text
        if validate and response.status_code != 304:
            operation = self.schema.find_operation_by_path(method, f"/api/v1{path.split('?')[0]}")
            assert operation is not None, f"{method} {path} is not in the OpenAPI document"
            response.request.read()  # a multipart upload is streamed; the check reads what was sent
            operation.validate_response(response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)


def openapi_document(base: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/api/v1/openapi.json", trust_env=False, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document
