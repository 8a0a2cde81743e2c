"""Password reset by e-mail answers identically for unknown addresses and ends old sessions."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from pushadmin.audit.models import AuditEntry
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def ask_for_reset(email: str) -> tuple[int, str, str]:
    response = Client().post("/accounts/password-reset/", {"email": email}, follow=True)
    body = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())  # the page's CSRF token
    return response.status_code, response.redirect_chain[-1][0], body


def test_unknown_and_known_addresses_get_the_same_answer_and_only_a_real_account_gets_mail(cast: Cast) -> None:
    cast.marketer.email = "mia@example.com"
    cast.marketer.save()
    known = ask_for_reset("mia@example.com")
    unknown = ask_for_reset("nobody@example.com")
    assert known == unknown
    assert known[1] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mia@example.com"]


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(cast: Cast) -> None:
    cast.marketer.email = "mia@example.com"
    cast.marketer.save()
    elsewhere = Client()
    elsewhere.force_login(cast.marketer)
    Client().post("/accounts/password-reset/", {"email": "mia@example.com"})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "a brand new long passphrase 7"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert "Your new password is set" in done.content.decode()
    cast.marketer.refresh_from_db()
    assert cast.marketer.check_password(new) and not cast.marketer.check_password(PASSWORD)
    assert elsewhere.get(f"/w/{cast.workspace.pk}/").status_code == 302
    assert "This link no longer works" in Client().get(link, follow=True).content.decode()
    assert AuditEntry.objects.filter(action="user.password_reset", actor=cast.marketer).exists()


def ask_from(email: str, client_address: str) -> tuple[int, str, str]:
    response = Client(REMOTE_ADDR=client_address).post("/accounts/password-reset/", {"email": email}, follow=True)
    body = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())
    return response.status_code, response.redirect_chain[-1][0], body


def test_reset_requests_for_one_address_are_limited_and_answered_the_same(cast: Cast, settings: object) -> None:
    settings.PUSHADMIN_RESETS_PER_EMAIL = 3  # type: ignore[attr-defined]
    cast.marketer.email = "mia@example.com"
    cast.marketer.save()
    answers = [ask_from("Mia@Example.com " if n % 2 else "mia@example.com", f"127.0.0.{n + 1}") for n in range(5)]
    assert len(mail.outbox) == 3
    assert len(set(answers)) == 1
    assert ask_from("someone.else@example.com", "127.0.0.9") == answers[0]


def test_reset_requests_from_one_client_are_limited_across_addresses(cast: Cast, settings: object) -> None:
    settings.PUSHADMIN_RESETS_PER_CLIENT = 2  # type: ignore[attr-defined]
    for user, email in ((cast.marketer, "mia@example.com"), (cast.reviewer, "rob@example.com")):
        user.email = email
        user.save()
    first = ask_from("nobody@example.com", "127.0.0.5")
    ask_from("mia@example.com", "127.0.0.5")
    refused = ask_from("rob@example.com", "127.0.0.5")
    assert refused == first
    assert [message.to for message in mail.outbox] == [["mia@example.com"]]
    ask_from("rob@example.com", "127.0.0.6")  # another client is not held back
    assert mail.outbox[-1].to == ["rob@example.com"]
