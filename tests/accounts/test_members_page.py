from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import Membership
from pushadmin.audit.models import AuditEntry
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def admin_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def test_the_members_page_invites_by_e_mail_and_offers_no_username_field(cast: Cast) -> None:
    page = admin_client(cast).get(f"/w/{cast.workspace.pk}/members/").content.decode()
    assert 'name="email"' in page and 'name="username"' not in page


def test_the_last_admin_cannot_be_removed(cast: Cast) -> None:
    client = admin_client(cast)
    membership = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    client.post(f"/w/{cast.workspace.pk}/members/{membership.pk}/remove/")
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_admin_cannot_remove_themselves_from_the_workspace(cast: Cast) -> None:
    response = admin_client(cast).post(f"/w/{cast.workspace.pk}/members/people/{cast.admin.pk}/remove/", follow=True)
    assert "keeps at least one admin" in response.content.decode()
    assert Membership.objects.filter(user=cast.admin, workspace=cast.workspace).exists()


def test_an_admin_removes_a_person_with_every_role_and_it_is_audited(cast: Cast) -> None:
    Membership.objects.create(user=cast.marketer, workspace=cast.workspace, role="auditor")
    response = admin_client(cast).post(f"/w/{cast.workspace.pk}/members/people/{cast.marketer.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(user=cast.marketer, workspace=cast.workspace).exists()
    removed = AuditEntry.objects.filter(action="member.removed", workspace=cast.workspace)
    assert sorted(entry.before["role"] for entry in removed) == ["auditor", "marketer"]


def test_one_of_two_admins_may_leave(cast: Cast) -> None:
    Membership.objects.create(user=cast.reviewer, workspace=cast.workspace, role="admin")
    admin_client(cast).post(f"/w/{cast.workspace.pk}/members/people/{cast.admin.pk}/remove/")
    assert not Membership.objects.filter(user=cast.admin, workspace=cast.workspace).exists()


def test_a_person_of_another_workspace_cannot_be_removed_from_here(cast: Cast) -> None:
    client = admin_client(cast)
    response = client.post(f"/w/{cast.workspace.pk}/members/people/{cast.outsider.pk}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(user=cast.outsider).count() == 4


def test_a_membership_of_another_workspace_cannot_be_removed_from_here(cast: Cast) -> None:
    client = admin_client(cast)
    foreign = Membership.objects.filter(workspace=cast.other_workspace).first()
    response = client.post(f"/w/{cast.workspace.pk}/members/{foreign.pk}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
