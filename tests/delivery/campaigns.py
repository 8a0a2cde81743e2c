"""Approved campaigns for sending tests, built with the ORM as the campaign builder would.

Per the contract between campaigns and delivery: every target is a DRAFT Message row with
seq from 1 and msg_key = campaign.msg_key_for(seq). Approval goes through the lifecycle.
"""

from __future__ import annotations

from typing import Any

from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
from pushadmin.delivery.models import Message
from pushadmin.workspaces.models import Workspace

DEMO_TEMPLATE = "demo-welcome"


def demo_template(workspace: Workspace, user: Any) -> Template:
    template, _ = Template.objects.get_or_create(
        workspace=workspace,
        name=DEMO_TEMPLATE,
        defaults={
            "title": "Congratulations",
            "content": "Hello #name#, congratulations on winning #money# yuan",
            "created_by": user,
        },
    )
    return template


def draft_campaign(
    workspace: Workspace, user: Any, targets: int, name: str = "Spring promotion", **fields: Any
) -> Campaign:
    campaign = Campaign.objects.create(
        workspace=workspace, name=name, template=demo_template(workspace, user), created_by=user, **fields
    )
    rows = [
        Message(
            campaign=campaign,
            seq=seq,
            target=f"user-{seq:06d}",
            values={"name": f"Customer {seq}", "money": str(100 + seq % 900)},
            msg_key=campaign.msg_key_for(seq),
        )
        for seq in range(1, targets + 1)
    ]
    Message.objects.bulk_create(rows, batch_size=2000)
    return campaign


def approve(campaign: Campaign, reviewer: Any) -> Campaign:
    campaign = transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=campaign.created_by)
    return transition(campaign, CampaignStatus.APPROVED, action="campaign.approved", actor=reviewer)


def point_at(workspace: Workspace, url: str, **fields: Any) -> Workspace:
    workspace.endpoint_url = url
    for name, value in fields.items():
        setattr(workspace, name, value)
    workspace.save()
    return workspace
