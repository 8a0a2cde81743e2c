"""Run the official SDKs with a pinned nonce, time and user agent and capture what they would send.

The HTTP send is replaced by a function that records the request and stops the
call, so nothing leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import pytest

from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import ApiRequest

from . import vectors as v

PINNED_USER_AGENT = "pushadmin-vector/1.0"


class _Captured(Exception):
    pass


@dataclass
class TeaCapture:
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@contextmanager
def _pinned_tea(monkeypatch: pytest.MonkeyPatch, nonce: str, timestamp: str) -> Iterator[list[Any]]:
    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.core import DaraCore

    seen: list[Any] = []

    def capture(request: Any, runtime: Any = None) -> Any:
        seen.append(request)
        raise _Captured

    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: timestamp))
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: nonce))
    monkeypatch.setattr(Utils, "get_user_agent", staticmethod(lambda *a, **k: PINNED_USER_AGENT))
    monkeypatch.setattr(DaraCore, "do_action", staticmethod(capture))
    yield seen


def tea_push_multiple(
    monkeypatch: pytest.MonkeyPatch,
    *,
    model_kwargs: Mapping[str, Any],
    targets: list[Mapping[str, Any]],
    nonce: str,
    timestamp: str,
    host: str,
    signature: str,
    access_key_id: str = "testid",
    secret: str = "testsecret",
) -> TeaCapture:
    """``signature`` is "v3" (the SDK default) or "v1" (``signature_algorithm="v2"``)."""
    from alibabacloud_mpaas20200710 import models
    from alibabacloud_mpaas20200710.client import Client
    from alibabacloud_tea_openapi.utils_models import Config
    from darabonba.runtime import RuntimeOptions

    config = Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=host,
        protocol="https",
        signature_algorithm="v2" if signature == "v1" else None,
    )
    client = Client(config)
    request = models.PushMultipleRequest(
        target_msg=[models.PushMultipleRequestTargetMsg(**t) for t in targets], **model_kwargs
    )
    # The SDK wraps our stop signal in its own exception type, hence the broad raises.
    with _pinned_tea(monkeypatch, nonce, timestamp) as seen, pytest.raises(Exception):
        client.push_multiple_with_options(request, RuntimeOptions(autoretry=False))
    assert len(seen) == 1, "the SDK should have tried exactly one send"
    sent = seen[0]
    body = sent.body if isinstance(sent.body, bytes) else sent.body.encode("utf-8")
    return TeaCapture(
        query={k: v for k, v in sent.query.items() if v is not None},
        headers=dict(sent.headers),
        body=body,
    )


def tea_call(
    monkeypatch: pytest.MonkeyPatch,
    *,
    action: str,
    model_kwargs: Mapping[str, Any],
    nonce: str,
    timestamp: str,
    host: str,
    signature: str,
    access_key_id: str = "testid",
    secret: str = "testsecret",
) -> TeaCapture:
    """Any action of the Tea client by its name (``CreateTemplate`` → ``create_template_with_options``)."""
    import re

    from alibabacloud_mpaas20200710 import models
    from alibabacloud_mpaas20200710.client import Client
    from alibabacloud_tea_openapi.utils_models import Config
    from darabonba.runtime import RuntimeOptions

    config = Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=host,
        protocol="https",
        signature_algorithm="v2" if signature == "v1" else None,
    )
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
    request = getattr(models, f"{action}Request")(**model_kwargs)
    with _pinned_tea(monkeypatch, nonce, timestamp) as seen, pytest.raises(Exception):
        getattr(Client(config), f"{snake}_with_options")(request, RuntimeOptions(autoretry=False))
    assert len(seen) == 1, "the SDK should have tried exactly one send"
    sent = seen[0]
    body = sent.body if isinstance(sent.body, bytes) else sent.body.encode("utf-8")
    return TeaCapture(
        query={k: v for k, v in sent.query.items() if v is not None},
        headers=dict(sent.headers),
        body=body,
    )


def ours_and_tea(
    monkeypatch: pytest.MonkeyPatch,
    request: ApiRequest,
    scheme: Literal["v1", "v3"],
    model_kwargs: Mapping[str, Any] | None = None,
) -> tuple[httpx.Request, TeaCapture]:
    """The request as our client builds it and as the Tea SDK sends it (2020-07-10, the vectors' key and time).

    The SDK's model gets `model_kwargs`, by default the request's fields that are set.
    """
    if model_kwargs is None:
        model_kwargs = {name: value for name, value in vars(request).items() if value is not None}
    sent = tea_call(
        monkeypatch,
        action=request.ACTION,
        model_kwargs=model_kwargs,
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
        host=v.HOST,
        signature=scheme,
    )
    client = MpaasClient(f"https://{v.HOST}", v.ACCESS_KEY_ID, v.SECRET, signature=scheme, api_version="2020-07-10")
    return client.build_http_request(request, nonce=v.NONCE, timestamp=v.TIMESTAMP), sent


@dataclass
class LegacyCapture:
    query: dict[str, str]
    body_params: dict[str, str]
    body: bytes
    string_to_sign: str
    signature: str


def legacy_push_multiple(
    monkeypatch: pytest.MonkeyPatch,
    *,
    setters: Mapping[str, Any],
    extra_body: Mapping[str, str],
    nonce: str,
    timestamp: str,
    access_key_id: str = "testid",
    secret: str = "testsecret",
) -> LegacyCapture:
    from urllib.parse import parse_qsl, urlsplit

    from aliyunsdkcore.utils import parameter_helper
    from aliyunsdkmpaas.request.v20190821 import PushMultipleRequest

    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: timestamp)
    request = PushMultipleRequest.PushMultipleRequest()
    request.set_accept_format("JSON")
    for name, value in setters.items():
        getattr(request, f"set_{name}")(value)
    for name, value in extra_body.items():
        request.add_body_params(name, value)
    url = request.get_url("cn-hangzhou", access_key_id, secret)
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    body_params = {k: str(v) for k, v in request.get_body_params().items()}
    return LegacyCapture(
        query=query,
        body_params=body_params,
        # what AcsClient sends: urlencode of the body params in insertion order
        body=urlencode(request.get_body_params()).encode("ascii"),
        string_to_sign=request.string_to_sign,
        signature=query["Signature"],
    )
