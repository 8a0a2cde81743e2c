from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import Membership
from pushadmin.audit.models import AuditEntry
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def test_admin_grants_a_role_and_it_is_audited(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    response = client.post(f"/w/{cast.workspace.pk}/members/", {"username": "mia.marketer", "role": "reviewer"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=cast.marketer, workspace=cast.workspace, role="reviewer").exists()
    assert AuditEntry.objects.filter(action="membership.granted", workspace=cast.workspace).exists()


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [("nobody", "reviewer", "No active user is called"), ("mia.marketer", "marketer", "already holds the role")],
)
def test_granting_is_refused_with_a_reason(cast: Cast, username: str, role: str, message: str) -> None:
    client = Client()
    client.force_login(cast.admin)
    before = Membership.objects.count()
    response = client.post(f"/w/{cast.workspace.pk}/members/", {"username": username, "role": role})
    assert message in response.content.decode()
    assert Membership.objects.count() == before


def test_the_last_admin_cannot_be_removed(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    membership = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    client.post(f"/w/{cast.workspace.pk}/members/{membership.pk}/remove/")
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_membership_of_another_workspace_cannot_be_removed_from_here(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    foreign = Membership.objects.filter(workspace=cast.other_workspace).first()
    response = client.post(f"/w/{cast.workspace.pk}/members/{foreign.pk}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
