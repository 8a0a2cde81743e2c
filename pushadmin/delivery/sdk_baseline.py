"""The official SDK's figure for `bench_send --sdk-baseline N`: what a customer's plain loop sends.

N targets go to the same sandbox, at the same added latency, through the official
`aliyun-python-sdk-mpaas` `PushMultipleRequest` and `aliyun-python-sdk-core`'s `AcsClient`, one
call of up to 100 targets after the other, as the console's seed example does. Those SDKs are
test-only dependencies (requirements-dev.txt), imported only when the figure is asked for.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

TARGETS_PER_CALL = 100
SDK_NAME = "aliyun-python-sdk-mpaas (PushMultiple 2019-08-21, AcsClient V1 signature), sequential"


class SdkMissing(RuntimeError):
    pass


def run_sdk_loop(
    targets: int, endpoint: str, key: tuple[str, str], *, template_name: str, values: dict[str, str]
) -> dict[str, Any]:
    """Send `targets` messages in a plain loop of PushMultiple calls and time it; returns the figures."""
    try:
        from aliyunsdkcore.client import AcsClient
        from aliyunsdkmpaas.request.v20190821 import PushMultipleRequest
    except ImportError as error:
        raise SdkMissing(
            "--sdk-baseline needs the official SDKs (test-only dependencies): pip install -r requirements-dev.txt"
        ) from error
    address = urlsplit(endpoint)
    client = AcsClient(key[0], key[1], "cn-hangzhou", auto_retry=False)
    prefix = uuid.uuid4().hex[:8]
    template_values = json.dumps(values, separators=(",", ":"))
    accepted = calls = 0
    began = time.monotonic()
    for start in range(0, targets, TARGETS_PER_CALL):
        request = PushMultipleRequest.PushMultipleRequest()
        request.set_endpoint(address.netloc)
        request.set_protocol_type(address.scheme or "http")
        request.set_AppId("BENCH0000000001")
        request.set_WorkspaceId("bench")
        request.set_TemplateName(template_name)
        request.set_DeliveryType(3)
        request.set_TaskName(f"sdk baseline {prefix}")
        request.set_ExpiredSeconds(600)
        messages = [
            {"Target": f"sdk-{prefix}-{seq}", "MsgKey": f"sdk-{prefix}-{seq}", "TemplateKeyValue": template_values}
            for seq in range(start, min(start + TARGETS_PER_CALL, targets))
        ]
        request.set_TargetMsgs(messages)
        answer = json.loads(client.do_action_with_exception(request))
        calls += 1
        if answer.get("ResultCode") == "OK" and answer.get("PushResult", {}).get("Success"):
            accepted += len(messages)
    seconds = time.monotonic() - began
    return {
        "sdk": SDK_NAME,
        "targets": targets,
        "accepted": accepted,
        "api_calls": calls,
        "seconds": round(seconds, 2),
        "messages_per_s": round(accepted / seconds, 1) if seconds else 0.0,
    }
