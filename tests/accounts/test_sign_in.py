"""Signing in: throttled guesses with a clear message, no account enumeration, sessions that end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from pushadmin.audit.models import AuditEntry
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> str:
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response.content.decode() if response.status_code == 200 else f"redirect {response['Location']}"


@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT=3, PUSHADMIN_LOCKOUT_MINUTES=15)
def test_an_account_is_paused_after_repeated_wrong_passwords_even_with_the_right_one(cast: Cast) -> None:
    client = Client()
    for _ in range(3):
        assert "didn&#x27;t match" in sign_in(client, "mia.marketer", "wrong password")
    page = sign_in(client, "mia.marketer", PASSWORD)
    assert "Too many failed sign-ins" in page and "paused for 15 minutes" in page
    assert AuditEntry.objects.filter(action="user.login_failed").count() == 3
    assert AuditEntry.objects.filter(action="user.login_locked", detail__username="mia.marketer").exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert sign_in(client, "mia.marketer", PASSWORD).startswith("redirect")


def without_name_and_tokens(page: str) -> str:
    page = page.replace("mia.marketer", "NAME").replace("nobody.here", "NAME")
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", page)  # each response carries a fresh CSRF token


@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT=3)
def test_unknown_and_real_accounts_get_the_same_answers(cast: Cast) -> None:
    real, ghost = Client(), Client()
    answers_real = [sign_in(real, "mia.marketer", "wrong password") for _ in range(4)]
    answers_ghost = [sign_in(ghost, "nobody.here", "wrong password") for _ in range(4)]
    assert [without_name_and_tokens(page) for page in answers_real] == [
        without_name_and_tokens(page) for page in answers_ghost
    ]
    assert "Too many failed sign-ins" in answers_ghost[-1]


@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_IP=4, PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT=100)
def test_one_address_guessing_many_accounts_is_paused_but_others_are_not(cast: Cast) -> None:
    client = Client()
    for name in ["a1", "a2", "a3", "a4"]:
        sign_in(client, name, "guess", ip="198.51.100.9")
    assert "Too many failed sign-ins" in sign_in(client, "abe.admin", PASSWORD, ip="198.51.100.9")
    assert sign_in(Client(), "abe.admin", PASSWORD, ip="192.0.2.44").startswith("redirect")


@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_IP=2, PUSHADMIN_TRUSTED_PROXY_COUNT=0)
def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(cast: Cast) -> None:
    client = Client()
    for fake in ["10.0.0.1", "10.0.0.2"]:
        client.post(LOGIN, {"username": "x", "password": "y"}, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=fake)
    form = {"username": "abe.admin", "password": PASSWORD}
    page = client.post(LOGIN, form, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4").content.decode()
    assert "Too many failed sign-ins" in page


def test_signing_in_starts_a_new_session_and_logging_out_ends_it_on_the_server(cast: Cast) -> None:
    client = Client()
    client.get(LOGIN)
    before = client.session.session_key
    sign_in(client, "mia.marketer", PASSWORD)
    session_key = client.session.session_key
    assert session_key != before
    client.post("/accounts/logout/")
    stolen = Client()
    stolen.cookies["sessionid"] = session_key
    assert stolen.get(f"/w/{cast.workspace.pk}/").status_code == 302


def test_an_idle_session_expires(cast: Cast, settings: object) -> None:
    client = Client()
    sign_in(client, "mia.marketer", PASSWORD)
    assert client.get(f"/w/{cast.workspace.pk}/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert client.get(f"/w/{cast.workspace.pk}/").status_code == 302


@override_settings(PUSHADMIN_SESSION_MAX_HOURS=2)
def test_a_busy_session_still_ends_at_its_absolute_limit(cast: Cast) -> None:
    client = Client()
    start = timezone.now()
    sign_in(client, "mia.marketer", PASSWORD)
    for minutes in range(20, 120, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get(f"/w/{cast.workspace.pk}/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=121)):
        response = client.get(f"/w/{cast.workspace.pk}/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_deactivating_a_person_ends_their_sessions(cast: Cast) -> None:
    client = Client()
    sign_in(client, "mia.marketer", PASSWORD)
    cast.marketer.is_active = False
    cast.marketer.save()
    assert client.get(f"/w/{cast.workspace.pk}/").status_code == 302


def test_changing_the_password_keeps_this_session_and_ends_the_others(cast: Cast) -> None:
    here, elsewhere = Client(), Client()
    sign_in(here, "mia.marketer", PASSWORD)
    sign_in(elsewhere, "mia.marketer", PASSWORD, ip="192.0.2.1")
    new = "a much longer new passphrase 9"
    form = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert here.post("/accounts/password/", form).status_code == 302
    assert here.get(f"/w/{cast.workspace.pk}/").status_code == 200
    assert elsewhere.get(f"/w/{cast.workspace.pk}/").status_code == 302
    assert AuditEntry.objects.filter(action="user.password_changed", actor=cast.marketer).exists()
    assert new not in str(list(AuditEntry.objects.values()))


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short pw 1", "too short"), ("123456789012", "entirely numeric"), ("administrator", "too common")],
)
def test_weak_new_passwords_are_refused_with_the_reason(cast: Cast, password: str, reason: str) -> None:
    client = Client()
    client.force_login(cast.marketer)
    form = {"old_password": PASSWORD, "new_password1": password, "new_password2": password}
    page = client.post("/accounts/password/", form).content.decode()
    assert reason in page
    cast.marketer.refresh_from_db()
    assert cast.marketer.check_password(PASSWORD)


def test_an_htmx_request_after_the_session_ended_redirects_the_whole_page(cast: Cast) -> None:
    client = Client()
    sign_in(client, "mia.marketer", PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get(f"/w/{cast.workspace.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(LOGIN)


def test_signed_in_pages_are_not_kept_in_caches(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.marketer)
    assert "no-store" in client.get(f"/w/{cast.workspace.pk}/")["Cache-Control"]
