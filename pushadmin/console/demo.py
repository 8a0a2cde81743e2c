"""Demo data for the embedded default: one workspace on the local sandbox, four people."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from pushadmin.accounts.models import Membership, Role
from pushadmin.audiences.models import Audience, AudienceMember
from pushadmin.campaigns.models import DeliveryType, Template
from pushadmin.workspaces.models import Workspace

DEMO_WORKSPACE = "Demo (local sandbox)"
DEMO_ACCESS_KEY_ID = "pushadmin-demo"
DEMO_ACCESS_KEY_SECRET = "pushadmin-demo-secret"
DEMO_APP_ID = "ONEX570DA89211721"
DEMO_MPAAS_WORKSPACE = "default"
DEMO_TEMPLATE_NAME = "demo-welcome"
DEMO_TEMPLATE_TITLE = "Congratulations"
DEMO_TEMPLATE_CONTENT = "Hello #name#, congratulations on winning #money# yuan"
DEMO_USERS = {"marketer": Role.MARKETER, "reviewer": Role.REVIEWER, "auditor": Role.AUDITOR, "admin": Role.ADMIN}
DEMO_TARGETS = [
    ("userid1024", {"name": "Zhang San", "money": "200"}),
    ("userid1025", {"name": "Li Si", "money": "88"}),
    ("userid1026", {"name": "Wang Wu", "money": "1000"}),
    ("userid1027", {"name": "Chen Liu", "money": "66"}),
    ("userid1028", {"name": "Zhao Qi", "money": "520"}),
]


@dataclass(frozen=True)
class DemoResult:
    created: bool
    passwords: dict[str, str]


def credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.txt"


def _read_passwords() -> dict[str, str]:
    path = credentials_file()
    if not path.exists():
        return {}
    pairs = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return {name.strip(): password.strip() for name, password in pairs}


def load_demo() -> DemoResult:
    """Create the demo data once; later calls only report the stored passwords."""
    if Workspace.objects.filter(name=DEMO_WORKSPACE).exists():
        return DemoResult(created=False, passwords=_read_passwords())
    passwords = {username: secrets.token_urlsafe(12) for username in DEMO_USERS}
    with transaction.atomic():
        workspace = Workspace(
            name=DEMO_WORKSPACE,
            app_id=DEMO_APP_ID,
            mpaas_workspace_id=DEMO_MPAAS_WORKSPACE,
            endpoint_url=settings.PUSHADMIN_SANDBOX_URL,
            access_key_id=DEMO_ACCESS_KEY_ID,
            calls_per_second=50,
        )
        workspace.set_secret(DEMO_ACCESS_KEY_SECRET)
        workspace.save()
        users = {}
        for username, role in DEMO_USERS.items():
            user = get_user_model().objects.create_user(username=username, password=passwords[username])
            Membership.objects.create(user=user, workspace=workspace, role=role)
            users[username] = user
        Template.objects.create(
            workspace=workspace,
            name=DEMO_TEMPLATE_NAME,
            title=DEMO_TEMPLATE_TITLE,
            content=DEMO_TEMPLATE_CONTENT,
            sample_values={"name": "Zhang San", "money": "200"},
            created_by=users["marketer"],
        )
        audience = Audience.objects.create(
            workspace=workspace,
            name="Demo winners",
            delivery_type=DeliveryType.USER,
            member_count=len(DEMO_TARGETS),
            created_by=users["marketer"],
        )
        AudienceMember.objects.bulk_create(
            AudienceMember(audience=audience, line_number=line, target=target, values=values)
            for line, (target, values) in enumerate(DEMO_TARGETS, start=2)
        )
    path = credentials_file()
    path.write_text("".join(f"{name}: {password}\n" for name, password in passwords.items()))
    path.chmod(0o600)
    return DemoResult(created=True, passwords=passwords)
