"""Sign-in limits hold when many wrong passwords arrive at once, in real threads on the real database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client, override_settings

from pushadmin.accounts.models import SignInCounter
from pushadmin.audit.models import AuditEntry
from tests.personas import PASSWORD, Cast

LOGIN = "/accounts/login/"
PARALLEL = 48


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The usernames whose password the authentication backend was asked to check, in any thread."""
    checked: list[str] = []
    lock = threading.Lock()
    real = ModelBackend.authenticate

    def counting(self: ModelBackend, request: Any, username: str | None = None, **kwargs: Any) -> Any:
        with lock:
            checked.append(username or "")
        return real(self, request, username=username, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    yield checked


def all_at_once(attempt: Callable[[int], None], count: int = PARALLEL) -> None:
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait()
            attempt(number)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures


def wrong_password(username: str, ip: str = "127.0.0.1") -> Callable[[int], None]:
    def attempt(_: int) -> None:
        response = Client().post(LOGIN, {"username": username, "password": "wrong password"}, REMOTE_ADDR=ip)
        assert response.status_code == 200

    return attempt


@pytest.mark.django_db(transaction=True)
@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT=5, PUSHADMIN_LOGIN_FAILURES_PER_IP=1000)
def test_parallel_wrong_passwords_for_one_account_get_at_most_the_limit_of_checks(
    cast: Cast, password_checks: list[str]
) -> None:
    all_at_once(wrong_password("mia.marketer"))

    assert len(password_checks) == 5
    assert AuditEntry.objects.filter(action="user.login_failed").count() == 5
    assert AuditEntry.objects.filter(action="user.login_locked").count() == 1
    counter = SignInCounter.objects.get(key="account:mia.marketer")
    assert (counter.checks, counter.refused) == (5, PARALLEL - 5)
    page = Client().post(LOGIN, {"username": "mia.marketer", "password": PASSWORD}).content.decode()
    assert "Too many failed sign-ins" in page


@pytest.mark.django_db(transaction=True)
@override_settings(PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT=1000, PUSHADMIN_LOGIN_FAILURES_PER_IP=4)
def test_parallel_guesses_from_one_address_get_at_most_its_limit_and_one_audit_entry(
    cast: Cast, password_checks: list[str]
) -> None:
    def many_names(number: int) -> None:
        Client().post(LOGIN, {"username": f"guess{number}", "password": "x"}, REMOTE_ADDR="127.0.0.9")

    all_at_once(many_names)
    all_at_once(many_names)  # a second wave into the same pause writes nothing more

    assert len(password_checks) == 4
    assert AuditEntry.objects.filter(action="user.login_failed").count() == 4
    assert AuditEntry.objects.filter(action="user.login_locked").count() == 1
    assert SignInCounter.objects.get(key="address:127.0.0.9").refused == 2 * PARALLEL - 4
    # Another address is not held up.
    response = Client().post(LOGIN, {"username": "abe.admin", "password": PASSWORD}, REMOTE_ADDR="127.0.0.10")
    assert response.status_code == 302
