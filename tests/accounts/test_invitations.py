"""People join by invitation: an e-mailed single-use, expiring link; the admin learns nothing about accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from pushadmin.accounts.models import Invitation, Membership, TOTPAuthenticator
from pushadmin.audit.models import AuditEntry
from tests.accounts.authenticator import code_for, key_on_page
from tests.accounts.test_authenticator_keys_at_rest import everything_stored
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and fresh passphrase 9"


def admin_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def invite(cast: Cast, email: str, role: str = "marketer") -> tuple[Client, str]:
    """The admin invites; returns the admin's client and the link from the e-mail."""
    client = admin_client(cast)
    response = client.post(f"/w/{cast.workspace.pk}/members/", {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()
    return client, link_in(mail.outbox[-1].body)


def link_in(body: str) -> str:
    match = re.search(r"http://testserver(/invitations/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def join(link: str, username: str = "nia.newcomer", **extra: str) -> tuple[Client, str]:
    client = Client()
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"] == "/invitations/accept/"
    page = client.get("/invitations/accept/").content.decode()
    form = {"username": username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **extra}
    response = client.post("/invitations/accept/", form)
    return client, page if response.status_code == 302 else response.content.decode()


def test_an_invitation_is_e_mailed_audited_and_stored_without_its_token(cast: Cast) -> None:
    _, link = invite(cast, "nia@example.com", "reviewer")
    token = link.split("/")[2]
    assert mail.outbox[-1].to == ["nia@example.com"]
    assert "Acme push" in mail.outbox[-1].subject and "Reviewer" in mail.outbox[-1].body
    invitation = Invitation.objects.get(email="nia@example.com")
    assert invitation.role == "reviewer" and invitation.expires_at - invitation.created_at == timedelta(hours=72)
    assert token not in everything_stored()
    entry = AuditEntry.objects.get(action="member.invited", workspace=cast.workspace)
    assert entry.after == {"email": "nia@example.com", "role": "reviewer"} and token not in str(entry.detail)


def test_a_newcomer_chooses_a_username_and_password_and_joins_once(cast: Cast) -> None:
    _, link = invite(cast, "nia@example.com", "auditor")
    client, _ = join(link)
    assert client.get(f"/w/{cast.workspace.pk}/").status_code == 200
    newcomer = get_user_model().objects.get(username="nia.newcomer")
    assert newcomer.email == "nia@example.com" and newcomer.check_password(NEW_PASSWORD)
    assert Membership.objects.filter(user=newcomer, workspace=cast.workspace, role="auditor").exists()
    assert AuditEntry.objects.filter(action="member.joined", workspace=cast.workspace, actor=newcomer).exists()
    again = Client().get(link)
    assert again.status_code == 200 and "This invitation no longer works" in again.content.decode()


def test_the_password_must_pass_the_validators(cast: Cast) -> None:
    _, link = invite(cast, "nia@example.com")
    client = Client()
    client.get(link)
    weak = {"username": "nia.newcomer", "password1": "12345678", "password2": "12345678"}
    page = client.post("/invitations/accept/", weak).content.decode()
    assert "too short" in page and "entirely numeric" in page
    assert not get_user_model().objects.filter(username="nia.newcomer").exists()


def test_a_newcomer_enrols_two_factor_on_the_join_page_when_the_role_requires_it(cast: Cast) -> None:
    _, link = invite(cast, "nia@example.com", "reviewer")
    cast.workspace.require_two_factor = True
    cast.workspace.save()
    client = Client()
    client.get(link)
    page = client.get("/invitations/accept/").content.decode()
    key = key_on_page(page)
    assert '<img class="qr-code" src="data:image/svg+xml' in page and "style=" not in page
    base = {"username": "nia.newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert "This field is required" in client.post("/invitations/accept/", base).content.decode()
    wrong = client.post("/invitations/accept/", {**base, "code": "000000"}).content.decode()
    assert "does not match" in wrong and key_on_page(wrong) == key
    done = client.post("/invitations/accept/", {**base, "code": code_for(key)}).content.decode()
    assert "Save these recovery codes now" in done and len(re.findall(r"<li><code>", done)) == 10
    newcomer = get_user_model().objects.get(username="nia.newcomer")
    assert TOTPAuthenticator.objects.get(user=newcomer, confirmed=True).bin_key.hex() not in everything_stored()
    assert client.get(f"/w/{cast.workspace.pk}/").status_code == 200  # this session is already verified
    assert Invitation.objects.get(email="nia@example.com").enrolment_key_encrypted == ""


def test_an_expired_or_revoked_link_no_longer_works(cast: Cast) -> None:
    admin, expiring = invite(cast, "late@example.com")
    _, revoked = invite(cast, "revoked@example.com")
    invitation = Invitation.objects.get(email="revoked@example.com")
    assert admin.post(f"/w/{cast.workspace.pk}/members/invitations/{invitation.pk}/revoke/").status_code == 302
    assert AuditEntry.objects.filter(action="member.invitation_revoked", workspace=cast.workspace).exists()
    assert "This invitation no longer works" in Client().get(revoked).content.decode()
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        assert "This invitation no longer works" in Client().get(expiring).content.decode()


def test_admins_see_pending_invitations_and_cannot_revoke_another_workspaces(cast: Cast) -> None:
    admin, _ = invite(cast, "nia@example.com")
    page = admin.get(f"/w/{cast.workspace.pk}/members/").content.decode()
    assert "Pending invitations" in page and "nia@example.com" in page
    outsider = Client()
    outsider.force_login(cast.outsider)
    invitation = Invitation.objects.get(email="nia@example.com")
    foreign = f"/w/{cast.other_workspace.pk}/members/invitations/{invitation.pk}/revoke/"
    assert outsider.post(foreign).status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_the_admin_cannot_tell_whether_an_address_has_an_account(cast: Cast) -> None:
    cast.outsider.email = "olga@example.com"
    cast.outsider.save()
    admin = admin_client(cast)
    answers = []
    for email in ("olga@example.com", "nobody@example.com"):
        response = admin.post(f"/w/{cast.workspace.pk}/members/", {"email": email, "role": "marketer"}, follow=True)
        page = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode()).replace(email, "ADDRESS")
        page = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d|invitations/\d+/", "X", page)
        answers.append((response.status_code, response.redirect_chain, page))
        invitation = Invitation.objects.get(email=email)  # out of the list, so both pages list one invitation
        admin.post(f"/w/{cast.workspace.pk}/members/invitations/{invitation.pk}/revoke/", follow=True)
    assert answers[0] == answers[1]
    assert not Membership.objects.filter(user=cast.outsider, workspace=cast.workspace).exists()
    assert [entry.after for entry in AuditEntry.objects.filter(action="member.invited").order_by("seq")] == [
        {"email": "olga@example.com", "role": "marketer"},
        {"email": "nobody@example.com", "role": "marketer"},
    ]


def test_an_existing_account_joins_after_signing_in_and_accepting(cast: Cast) -> None:
    cast.outsider.email = "olga@example.com"
    cast.outsider.save()
    _, link = invite(cast, "olga@example.com", "reviewer")
    client = Client()
    client.get(link)
    page = client.get("/invitations/accept/").content.decode()
    assert "already has an account" in page and "username" not in page
    signed_in = client.post(
        "/accounts/login/?next=/invitations/accept/",
        {"username": "olga.outsider", "password": PASSWORD, "next": "/invitations/accept/"},
    )
    assert signed_in["Location"] == "/invitations/accept/"
    assert "Accept the invitation" in client.get("/invitations/accept/").content.decode()
    assert not Membership.objects.filter(user=cast.outsider, workspace=cast.workspace).exists()
    accepted = client.post("/invitations/accept/")
    assert accepted["Location"] == f"/w/{cast.workspace.pk}/"
    assert Membership.objects.filter(user=cast.outsider, workspace=cast.workspace, role="reviewer").exists()


def test_someone_signed_in_with_another_address_cannot_accept(cast: Cast) -> None:
    cast.marketer.email = "mia@example.com"
    cast.marketer.save()
    _, link = invite(cast, "nia@example.com", "admin")
    client = Client()
    client.force_login(cast.marketer)
    client.get(link)
    assert "account of another e-mail address" in client.post("/invitations/accept/").content.decode()
    assert not Membership.objects.filter(user=cast.marketer, role="admin").exists()


def test_the_link_leads_to_a_page_without_the_token(cast: Cast) -> None:
    _, link = invite(cast, "nia@example.com")
    client = Client()
    opened = client.get(link)
    token = link.split("/")[2]
    assert token not in opened["Location"]
    assert token not in client.get(opened["Location"]).content.decode()


def test_invitations_are_limited_per_admin_per_hour(cast: Cast, settings: object) -> None:
    settings.PUSHADMIN_INVITATIONS_PER_HOUR = 2  # type: ignore[attr-defined]
    admin = admin_client(cast)
    for n in range(3):
        response = admin.post(f"/w/{cast.workspace.pk}/members/", {"email": f"p{n}@example.com", "role": "marketer"})
    assert response.status_code == 200 and "at most 2 times per hour" in response.content.decode()
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2


def test_adding_an_existing_user_by_username_is_gone(cast: Cast) -> None:
    admin = admin_client(cast)
    response = admin.post(f"/w/{cast.workspace.pk}/members/", {"username": "olga.outsider", "role": "admin"})
    assert response.status_code == 200
    assert not Membership.objects.filter(user=cast.outsider, workspace=cast.workspace).exists()
    assert "olga.outsider" not in response.content.decode()
