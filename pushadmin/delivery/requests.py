"""The PushMultiple request of one batch.

`pushadmin.campaigns.payload.build_push_request` is the one place a campaign's request is
built (the builder's preview uses it too); this module only hands it a batch's rows, and
falls back to an immediate send with default options while that module is absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pushadmin.campaigns.models import Campaign, Template
from pushadmin.delivery.models import Message
from pushadmin.mpaas.request_types import PushMultipleRequest, TargetMsg

PLACEHOLDER = re.compile(r"#(\w+)#")
DEFAULT_EXPIRED_SECONDS = 3 * 24 * 3600


def placeholders_of(template: Template) -> set[str]:
    return set(PLACEHOLDER.findall(template.title)) | set(PLACEHOLDER.findall(template.content))


def task_name_of(campaign: Campaign) -> str:
    return f"pushadmin {campaign.pk}: {campaign.name}"[:100]


def build_request(campaign: Campaign, messages: Sequence[Message]) -> PushMultipleRequest:
    try:
        from pushadmin.campaigns.payload import build_push_request
    except ImportError:
        return _immediate_request(campaign, messages)
    return build_push_request(campaign, messages, task_name=task_name_of(campaign))


def _immediate_request(campaign: Campaign, messages: Sequence[Message]) -> PushMultipleRequest:
    workspace = campaign.workspace
    fallback = {k: str(v) for k, v in (campaign.fallback_values or {}).items()}
    return PushMultipleRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        tenant_id=workspace.tenant_id or None,
        task_name=task_name_of(campaign),
        template_name=campaign.template.name,
        delivery_type=int(campaign.delivery_type),
        expired_seconds=DEFAULT_EXPIRED_SECONDS,
        target_msgs=[
            TargetMsg(
                target=m.target,
                msg_key=m.msg_key,
                template_key_value={**fallback, **{k: str(v) for k, v in (m.values or {}).items()}},
                extended_params=m.extended_params or None,
            )
            for m in messages
        ],
    )
