"""One of everything a workspace holds, made with the ORM, so id-bearing URLs get real objects.

`ids_for(route)` maps a route's `<int:xxx_id>` parameters to objects of this world by name:
`campaign_id` to the campaign, `import_id` to the audience import, and so on. A parameter
whose object is unknown here gets an id that exists nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model
from django.utils import timezone

from pushadmin.accounts.invitations import token_hash
from pushadmin.accounts.models import Invitation, Membership, SignedInSession
from pushadmin.audiences.models import Audience, AudienceImport, AudienceMember, RejectedRow
from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, Template
from pushadmin.delivery.models import Attempt, Batch, Message, MessageStatus
from pushadmin.reviews.models import Approval, ReviewComment
from pushadmin.webhooks.models import Delivery, Endpoint
from pushadmin.workspaces.models import Workspace
from tests.security.site_map import Route

# Parameter names that do not simply name their model.
ALIASES = {
    "member": "audiencemember",
    "import": "audienceimport",
    "audience_import": "audienceimport",
    "rejected_row": "rejectedrow",
    "row": "rejectedrow",
    "comment": "reviewcomment",
    "review_comment": "reviewcomment",
    "entry": "auditentry",
    "audit_entry": "auditentry",
    "review": "campaign",
    "session": "signedinsession",
}


@dataclass
class World:
    workspace: Workspace
    marker: str
    objects: dict[str, Model] = field(default_factory=dict)

    def ids_for(self, route: Route) -> dict[str, int]:
        ids = {}
        for name in route.object_kwargs:
            found = self.object_for(name)
            if found is not None:
                ids[name] = found.pk
        return ids

    def object_for(self, parameter: str) -> Model | None:
        base = parameter.removesuffix("_id").removesuffix("_pk")
        key = ALIASES.get(base, base.replace("_", ""))
        return self.objects.get(key)


def build_world(workspace: Workspace, author: AbstractBaseUser, marker: str, template_name: str | None = None) -> World:
    """Objects named with `marker`, so a page that shows them to the wrong person is caught."""
    template = Template.objects.create(
        workspace=workspace,
        name=template_name or f"{marker}-template",
        title=f"{marker} title",
        content="Hello #name#, congratulations on winning #money# yuan",
        sample_values={"name": marker, "money": "1"},
        created_by=author,
    )
    audience = Audience.objects.create(
        workspace=workspace, name=f"{marker} audience", created_by=author, member_count=1
    )
    member = AudienceMember.objects.create(
        audience=audience, line_number=2, target=f"{marker}-target", values={"name": marker, "money": "5"}
    )
    audience_import = AudienceImport.objects.create(
        audience=audience, original_name=f"{marker}.csv", stored_name=f"{marker}.csv", created_by=author
    )
    rejected = RejectedRow.objects.create(audience_import=audience_import, line_number=3, reason=f"{marker} reason")
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=f"{marker} campaign",
        template=template,
        audience=audience,
        created_by=author,
        options={"expired_seconds": 3600},
        strategy={"type": "immediate"},
    )
    batch = Batch.objects.create(campaign=campaign, seq=1)
    message = Message.objects.create(
        campaign=campaign,
        seq=1,
        target=f"{marker}-target",
        values={"name": marker, "money": "5"},
        msg_key=campaign.msg_key_for(1),
        status=MessageStatus.DRAFT,
        batch=batch,
    )
    attempt = Attempt.objects.create(batch=batch, campaign=campaign, started_at=timezone.now(), outcome="accepted")
    approval = Approval.objects.create(campaign=campaign, reviewer=author, revision=1, fingerprint="0" * 64)
    comment = ReviewComment.objects.create(campaign=campaign, author=author, revision=1, body=f"{marker} comment")
    entry = trail.record("security.world_built", actor=author, workspace=workspace, obj=campaign)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=f"{marker.lower()}@example.com",
        role="marketer",
        token_hash=token_hash(f"{marker}-token"),
        invited_by=author,
        expires_at=timezone.now() + timedelta(hours=72),
    )
    session = SignedInSession.objects.create(
        user=author,
        session_key=f"{marker.lower()}sessionkey",
        ip="127.0.0.1",
        user_agent=f"{marker} browser",
        signed_in_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    endpoint = Endpoint.objects.create(
        workspace=workspace,
        url=f"https://localhost/{marker}",  # a worker trying its delivery stays on this machine
        events=["campaign.approved"],
        secret_encrypted="",
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint, event="campaign.approved", message_id=f"msg_{marker}", payload={"marker": marker}
    )
    objects: dict[str, Any] = {
        "template": template,
        "endpoint": endpoint,
        "delivery": delivery,
        "audience": audience,
        "audiencemember": member,
        "audienceimport": audience_import,
        "rejectedrow": rejected,
        "campaign": campaign,
        "batch": batch,
        "message": message,
        "attempt": attempt,
        "approval": approval,
        "reviewcomment": comment,
        "auditentry": entry,
        "membership": Membership.objects.filter(workspace=workspace).order_by("pk").first(),
        "workspace": workspace,
        "invitation": invitation,
        "signedinsession": session,
        "user": author,
    }
    return World(workspace=workspace, marker=marker, objects=objects)
