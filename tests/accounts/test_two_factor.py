"""Two-factor sign-in: enrolment with a QR code, a code after the password, required per workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from pushadmin.audit.models import AuditEntry
from tests.accounts.authenticator import code_for, key_on_page
from tests.personas import PASSWORD, TEST_SECRET, Cast

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)  # the start of a 30-second time step


def signed_in(username: str) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    return client


def enrol(client: Client) -> str:
    page = client.get("/accounts/two-factor/").content.decode()
    key = key_on_page(page)
    response = client.post("/accounts/two-factor/", {"code": code_for(key)})
    assert "Save these recovery codes now" in response.content.decode(), response.content.decode()
    return key


def require_two_factor(cast: Cast) -> None:
    cast.workspace.require_two_factor = True
    cast.workspace.save()


def test_a_reviewer_of_a_workspace_that_requires_it_must_enrol_before_any_page(cast: Cast) -> None:
    require_two_factor(cast)
    client = signed_in("rob.reviewer")
    response = client.get(f"/w/{cast.workspace.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/?next=")
    page = client.get(response["Location"]).content.decode()
    assert "requires a second factor" in page
    assert '<img class="qr-code" src="data:image/svg+xml' in page
    assert "<script" not in page.split("</head>")[1] and "style=" not in page
    assert TEST_SECRET not in page


def test_marketers_and_auditors_are_not_forced_to_enrol(cast: Cast) -> None:
    require_two_factor(cast)
    for username in ("mia.marketer", "ada.auditor"):
        assert signed_in(username).get(f"/w/{cast.workspace.pk}/").status_code == 200


def test_after_enrolment_every_sign_in_asks_for_a_fresh_code(cast: Cast) -> None:
    require_two_factor(cast)
    with time_machine.travel(T0, tick=False):
        key = enrol(signed_in("abe.admin"))
    assert AuditEntry.objects.filter(action="user.two_factor_enrolled", actor=cast.admin).exists()

    target = f"/w/{cast.workspace.pk}/members/"
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        client = signed_in("abe.admin")
        response = client.get(target)
        assert response["Location"] == f"/accounts/two-factor/verify/?next={target.replace('/', '%2F')}"
        wrong = client.post("/accounts/two-factor/verify/", {"code": "000000", "next": target})
        assert "not valid or was already used" in wrong.content.decode()
        assert client.get(target).status_code == 302
    with time_machine.travel(T0 + timedelta(seconds=65), tick=False):
        right = client.post("/accounts/two-factor/verify/", {"code": code_for(key), "next": target})
        assert right.status_code == 302 and right["Location"] == target
        assert client.get(target).status_code == 200
    assert AuditEntry.objects.filter(action="user.two_factor_failed", actor=cast.admin).count() == 1
    assert AuditEntry.objects.filter(action="user.two_factor_verified", actor=cast.admin).count() == 1


def test_a_code_cannot_be_used_twice(cast: Cast) -> None:
    with time_machine.travel(T0, tick=False):
        key = enrol(signed_in("mia.marketer"))  # enrolling voluntarily also turns the check on
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        code = code_for(key)
        first = signed_in("mia.marketer")
        assert first.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302
    with time_machine.travel(T0 + timedelta(seconds=70), tick=False):
        second = signed_in("mia.marketer")
        page = second.post("/accounts/two-factor/verify/", {"code": code}).content.decode()
        assert "not valid or was already used" in page
        assert second.get(f"/w/{cast.workspace.pk}/").status_code == 302


def test_the_verification_step_only_sends_people_on_to_this_site(cast: Cast) -> None:
    with time_machine.travel(T0, tick=False):
        key = enrol(signed_in("mia.marketer"))
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        client = signed_in("mia.marketer")
        response = client.post("/accounts/two-factor/verify/", {"code": code_for(key), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_workspace_admin_can_require_two_factor_in_settings(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    page = client.get(f"/w/{cast.workspace.pk}/settings/").content.decode()
    assert "Require two-factor sign-in for reviewers and admins" in page


def test_the_members_page_shows_who_still_has_to_set_up_two_factor(cast: Cast) -> None:
    require_two_factor(cast)
    with time_machine.travel(T0, tick=False):
        client = signed_in("abe.admin")
        enrol(client)  # enrolling also verifies this session
        page = client.get(f"/w/{cast.workspace.pk}/members/")
    rows = {line.split("</td>")[0]: line for line in page.content.decode().split("<tr><td>")[1:]}
    assert 'badge ok">on' in rows["abe.admin"]
    assert "required, not set up" in rows["rob.reviewer"]
    assert 'badge">off' in rows["mia.marketer"]
