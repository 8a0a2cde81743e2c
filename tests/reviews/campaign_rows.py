"""Campaigns with their message rows, made directly with the ORM as the campaign builder makes them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.test import Client, RequestFactory
from django.urls import reverse

from pushadmin.campaigns.models import Campaign, Template
from pushadmin.delivery.models import Message
from pushadmin.workspaces.models import Workspace

DEFAULT_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("userid1024", {"name": "Zhang San", "money": "200"}),
    ("userid1025", {"name": "Li Si", "money": "88"}),
    ("userid1026", {"name": "Wang Wu", "money": "1000"}),
]


def make_campaign(
    workspace: Workspace,
    author: AbstractBaseUser,
    name: str = "Spring bonus",
    rows: Sequence[tuple[str, dict[str, Any]]] = DEFAULT_ROWS,
) -> Campaign:
    template, _ = Template.objects.get_or_create(
        workspace=workspace,
        name="demo-welcome",
        defaults={
            "title": "Congratulations",
            "content": "Hello #name#, congratulations on winning #money# yuan",
            "created_by": author,
        },
    )
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=name,
        template=template,
        created_by=author,
        options={"expired_seconds": 3600},
        strategy={"type": "immediate"},
    )
    Message.objects.bulk_create(
        Message(campaign=campaign, seq=seq, target=target, values=values, msg_key=campaign.msg_key_for(seq))
        for seq, (target, values) in enumerate(rows, start=1)
    )
    return campaign


def request_by(user: AbstractBaseUser, ip: str = "203.0.113.7") -> Any:
    """A request as a view would pass it to an action: who acts and from where."""
    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.user = user
    return request


def review_url(campaign: Campaign, action: str = "review") -> str:
    return reverse(f"reviews:{action}", kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})


def on_screen(client: Client, campaign: Campaign) -> dict[str, str]:
    """The hidden revision and fingerprint of the approve form, as the reviewer's browser would post them."""
    html = client.get(review_url(campaign)).content.decode()
    form = html.split('class="approve-form"')[1].split("</form>")[0]
    return dict(re.findall(r'<input type="hidden" name="(revision|fingerprint)" value="([^"]*)"', form))
