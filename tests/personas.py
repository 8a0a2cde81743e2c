"""The people every view test speaks of: one per role, plus an outsider from another workspace."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from pushadmin.accounts.models import Membership, Role
from pushadmin.workspaces.models import Workspace

PASSWORD = "correct horse battery staple 42"
TEST_SECRET = "canary-secret-7f3a9c"


def make_workspace(name: str, endpoint: str = "http://127.0.0.1:8765") -> Workspace:
    workspace = Workspace(
        name=name,
        app_id="ONEX570DA89211721",
        mpaas_workspace_id="default",
        endpoint_url=endpoint,
        access_key_id="pushadmin-test",
    )
    workspace.set_secret(TEST_SECRET)
    workspace.save()
    return workspace


def make_user(username: str, workspace: Workspace | None = None, *roles: str) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    for role in roles:
        Membership.objects.create(user=user, workspace=workspace, role=role)
    return user


@dataclass
class Cast:
    workspace: Workspace
    other_workspace: Workspace
    marketer: AbstractBaseUser
    reviewer: AbstractBaseUser
    auditor: AbstractBaseUser
    admin: AbstractBaseUser
    outsider: AbstractBaseUser

    def by_role(self) -> dict[str, AbstractBaseUser]:
        return {
            Role.MARKETER: self.marketer,
            Role.REVIEWER: self.reviewer,
            Role.AUDITOR: self.auditor,
            Role.ADMIN: self.admin,
        }


def make_cast() -> Cast:
    workspace = make_workspace("Acme push")
    other = make_workspace("Other company")
    return Cast(
        workspace=workspace,
        other_workspace=other,
        marketer=make_user("mia.marketer", workspace, Role.MARKETER),
        reviewer=make_user("rob.reviewer", workspace, Role.REVIEWER),
        auditor=make_user("ada.auditor", workspace, Role.AUDITOR),
        admin=make_user("abe.admin", workspace, Role.ADMIN),
        outsider=make_user("olga.outsider", other, Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN),
    )
