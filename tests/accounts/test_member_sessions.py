"""Admins see their members' signed-in sessions and end them (ASVS 7.4.5)."""

from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import SignedInSession
from pushadmin.audit.models import AuditEntry
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def signed_in(username: str, address: str = "127.0.0.7") -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER)
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_admins_see_when_where_and_from_which_browser_members_are_signed_in(cast: Cast) -> None:
    signed_in("mia.marketer")
    signed_in("olga.outsider", "127.0.0.9")
    page = signed_in("abe.admin", "127.0.0.8").get(f"/w/{cast.workspace.pk}/members/sessions/").content.decode()
    assert "mia.marketer" in page and "127.0.0.7" in page and "Firefox/140.0" in page
    assert "abe.admin (this session)" in page
    assert "olga.outsider" not in page and "127.0.0.9" not in page


def test_an_admin_ends_a_members_session_and_it_is_signed_out_at_once(cast: Cast) -> None:
    member = signed_in("mia.marketer")
    other_device = signed_in("mia.marketer", "127.0.0.3")
    assert member.get(f"/w/{cast.workspace.pk}/").status_code == 200
    record = SignedInSession.objects.filter(user=cast.marketer, ip="127.0.0.7").get()
    admin = signed_in("abe.admin")
    response = admin.post(f"/w/{cast.workspace.pk}/members/sessions/{record.pk}/end/")
    assert response.status_code == 302
    ended = member.get(f"/w/{cast.workspace.pk}/")
    assert ended.status_code == 302 and "/accounts/login/" in ended["Location"]
    assert other_device.get(f"/w/{cast.workspace.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action="member.session_ended", workspace=cast.workspace)
    assert entry.detail["user"] == "mia.marketer" and entry.detail["ip"] == "127.0.0.7"
    assert record.session_key not in str(entry.detail)


def test_sessions_of_another_workspaces_people_cannot_be_ended_from_here(cast: Cast) -> None:
    outsider = signed_in("olga.outsider")
    record = SignedInSession.objects.get(user=cast.outsider)
    response = signed_in("abe.admin").post(f"/w/{cast.workspace.pk}/members/sessions/{record.pk}/end/")
    assert response.status_code == 404
    assert outsider.get(f"/w/{cast.other_workspace.pk}/").status_code == 200


def test_signing_out_removes_the_session_from_the_list(cast: Cast) -> None:
    member = signed_in("mia.marketer")
    member.post("/accounts/logout/")
    assert not SignedInSession.objects.filter(user=cast.marketer).exists()


def test_the_record_follows_the_session_when_a_password_change_renews_it(cast: Cast) -> None:
    member = signed_in("mia.marketer")
    new = "another long passphrase 12"
    member.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    record = SignedInSession.objects.get(user=cast.marketer)
    assert record.session_key == member.session.session_key
    assert member.get(f"/w/{cast.workspace.pk}/").status_code == 200
