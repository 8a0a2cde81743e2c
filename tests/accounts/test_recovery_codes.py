"""Recovery codes: ten single-use codes shown once at enrolment, stored hashed, usable instead of a TOTP code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from pushadmin.audit.models import AuditEntry
from tests.accounts.authenticator import code_for, key_on_page
from tests.accounts.test_authenticator_keys_at_rest import everything_stored
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
CODE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def signed_in(username: str) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    return client


def enrol_and_read_codes(username: str) -> list[str]:
    with time_machine.travel(T0, tick=False):
        client = signed_in(username)
        key = key_on_page(client.get("/accounts/two-factor/").content.decode())
        page = client.post("/accounts/two-factor/", {"code": code_for(key)}).content.decode()
    return CODE.findall(page)


def recover(client: Client, code: str) -> int:
    return client.post("/accounts/two-factor/recover/", {"code": code, "next": "/"}).status_code


def test_enrolment_shows_ten_codes_once_and_stores_only_their_hashes(cast: Cast) -> None:
    codes = enrol_and_read_codes("rob.reviewer")
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = everything_stored()
    assert not [code for code in codes if code in stored or code.replace("-", "") in stored]
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        client = signed_in("rob.reviewer")
        later = client.get("/accounts/two-factor/recover/?next=/")  # the second step, then the two-factor page
        assert later.status_code == 200
        assert recover(client, codes[0]) == 302
        page = client.get("/accounts/two-factor/", follow=True).content.decode()
    assert "9</strong> unused recovery codes" in page
    assert not CODE.findall(page) and codes[1] not in page


def test_a_recovery_code_signs_in_once_instead_of_the_authenticator_and_is_audited(cast: Cast) -> None:
    codes = enrol_and_read_codes("rob.reviewer")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        client = signed_in("rob.reviewer")
        assert client.get(f"/w/{cast.workspace.pk}/").status_code == 302
        assert recover(client, codes[3].upper().replace("-", " ")) == 302  # typed as read aloud
        assert client.get(f"/w/{cast.workspace.pk}/").status_code == 200
        again = signed_in("rob.reviewer")
        assert recover(again, codes[3]) == 200
        assert again.get(f"/w/{cast.workspace.pk}/").status_code == 302
    used = AuditEntry.objects.get(action="user.recovery_code_used", actor=cast.reviewer)
    assert used.detail == {"left": 9}
    trail_text = str(list(AuditEntry.objects.values("before", "after", "detail", "object_repr")))
    assert not [code for code in codes if code in trail_text or code.replace("-", "") in trail_text]


def test_a_new_set_replaces_the_old_codes(cast: Cast) -> None:
    old = enrol_and_read_codes("rob.reviewer")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        client = signed_in("rob.reviewer")
        assert recover(client, old[0]) == 302
        new = CODE.findall(client.post("/accounts/two-factor/recovery-codes/").content.decode())
        assert len(new) == 10 and not set(new) & set(old)
        stale = signed_in("rob.reviewer")
        assert recover(stale, old[1]) == 200
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):  # after the wrong code's throttle
        assert recover(signed_in("rob.reviewer"), new[0]) == 302
    assert AuditEntry.objects.filter(action="user.recovery_codes_issued", actor=cast.reviewer).count() == 2


def test_guessing_recovery_codes_is_throttled_like_authenticator_codes(cast: Cast) -> None:
    codes = enrol_and_read_codes("rob.reviewer")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        client = signed_in("rob.reviewer")
        for guess in ("aaaaa-aaaaa", "bbbbb-bbbbb", "ccccc-ccccc"):
            assert recover(client, guess) == 200
        page = client.post("/accounts/two-factor/recover/", {"code": codes[0]}).content.decode()
    assert "Too many wrong codes" in page
