"""The exact PushMultiple request for one batch of a campaign's messages.

The sender, the request preview and the test send all build requests here, so what a
reviewer approves and what goes on the wire cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pushadmin.campaigns import rendering
from pushadmin.campaigns.models import Campaign, MissingDataPolicy
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.strategy import Strategy, strategy_content
from pushadmin.delivery.models import Message
from pushadmin.mpaas.request_types import PushMultipleRequest, TargetMsg
from pushadmin.mpaas.validation import STRATEGY_IMMEDIATE

TASK_NAME_MAX = 100


class MessageRow(Protocol):
    """What a request reads of one message: a `Message`, or the lighter row the sender loads."""

    @property
    def target(self) -> str: ...

    @property
    def msg_key(self) -> str: ...

    @property
    def values(self) -> Any: ...

    @property
    def extended_params(self) -> Any: ...


def fallback_for(campaign: Campaign) -> Mapping[str, Any] | None:
    """The fallback values that apply: only under the fallback policy."""
    return campaign.fallback_values if campaign.missing_policy == MissingDataPolicy.FALLBACK else None


def template_key_value(
    campaign: Campaign, values: Mapping[str, Any] | None, names: list[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(TemplateKeyValue for one message, placeholders still without a value).

    Only the template's placeholders are sent: a value the template does not use would
    change nothing on the phone, and preflight already reports it.
    """
    if names is None:
        names = rendering.template_placeholders(campaign.template.title, campaign.template.content)
    chosen, missing, _ = rendering.effective_values(names, values, fallback_for(campaign))
    return chosen, missing


def skip_reason(campaign: Campaign, values: Mapping[str, Any] | None, names: list[str] | None = None) -> str | None:
    """Why the skip policy keeps this row out of every request, or None (the one place that rule lives).

    A row is skipped when it misses a placeholder value or would be longer than mPaaS takes: sent,
    it would make mPaaS refuse its whole call of 100 (3043), good rows included.
    """
    if campaign.missing_policy != MissingDataPolicy.SKIP:
        return None
    template = campaign.template
    rendered = rendering.render(template.title, template.content, values, names=names)
    if rendered.missing:
        return "Skipped: a placeholder value is missing."
    too_long = rendered.too_long_for_mpaas()
    return f"Skipped: {too_long[0].lower()}{too_long[1:]}" if too_long else None


def is_skipped(campaign: Campaign, message: Message) -> bool:
    """True when the skip policy keeps this message out of every request."""
    return skip_reason(campaign, message.values) is not None


def default_task_name(campaign: Campaign) -> str:
    return (campaign.name or f"campaign {campaign.pk}")[:TASK_NAME_MAX]


def build_push_request(
    campaign: Campaign, messages: Sequence[MessageRow], *, task_name: str | None = None
) -> PushMultipleRequest:
    """One PushMultiple call for `messages` (at most 100; the caller cuts batches and drops skipped rows)."""
    workspace = campaign.workspace
    template = campaign.template
    options = ChannelOptions.from_json(campaign.options)
    strategy = Strategy.from_json(campaign.strategy)
    names = rendering.template_placeholders(template.title, template.content)
    targets = [
        TargetMsg(
            target=message.target,
            msg_key=message.msg_key,
            template_key_value=template_key_value(campaign, message.values, names)[0] or None,
            extended_params=message.extended_params or None,
        )
        for message in messages
    ]
    kind = strategy.strategy_type
    return PushMultipleRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        tenant_id=workspace.tenant_id or None,
        task_name=task_name or default_task_name(campaign),
        template_name=template.name,
        delivery_type=campaign.delivery_type,
        target_msgs=targets,
        expired_seconds=options.expired_seconds,
        extended_params=options.extended_params or None,
        notify_type=options.notify_type or None,
        push_action=options.push_action,
        silent=None if options.silent is None else int(options.silent),
        classification=options.classification or None,
        strategy_type=None if kind == STRATEGY_IMMEDIATE else kind,
        strategy_content=None if kind == STRATEGY_IMMEDIATE else strategy_content(strategy),
        third_channel_category=options.third_channel_category or None,
        notify_level=options.notify_level or None,
        channel_id=options.channel_id or None,
        mi_channel_id=options.mi_channel_id or None,
        activity_event=options.activity_event or None,
        activity_content_state=options.activity_content_state,
        dismissal_date=options.dismissal_date,
    )
