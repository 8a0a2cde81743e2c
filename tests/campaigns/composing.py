"""Templates, campaigns and their message rows as a marketer would compose them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pushadmin.campaigns.models import Campaign, Template
from pushadmin.delivery.models import Message
from tests.personas import Cast

TITLE = "Congratulations"
CONTENT = "Hello #name#, congratulations on winning #money# yuan"


def make_template(cast: Cast, name: str = "demo-welcome", **fields: Any) -> Template:
    values = {"title": TITLE, "content": CONTENT, "sample_values": {"name": "Zhang San", "money": "200"}}
    values.update(fields)
    return Template.objects.create(workspace=cast.workspace, name=name, created_by=cast.marketer, **values)


def make_campaign(
    cast: Cast,
    rows: Iterable[tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], Any]] = (),
    *,
    template: Template | None = None,
    **fields: Any,
) -> Campaign:
    template = template or make_template(cast)
    campaign = Campaign.objects.create(
        workspace=cast.workspace,
        name=fields.pop("name", "Spring promo"),
        template=template,
        created_by=cast.marketer,
        **fields,
    )
    add_rows(campaign, rows)
    return campaign


def add_rows(campaign: Campaign, rows: Iterable[tuple]) -> None:
    start = campaign.messages.count()
    Message.objects.bulk_create(
        Message(
            campaign=campaign,
            seq=start + index,
            target=row[0],
            values=dict(row[1]),
            extended_params=row[2] if len(row) > 2 else None,
            msg_key=campaign.msg_key_for(start + index),
        )
        for index, row in enumerate(rows, start=1)
    )
