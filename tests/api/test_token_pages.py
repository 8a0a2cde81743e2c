"""API tokens under a person's own settings: made for some of their roles, shown once, revoked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pushadmin.accounts.models import Role
from pushadmin.api import tokens
from pushadmin.api.models import ApiToken
from pushadmin.audit.models import AuditEntry
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'<code class="secret-once" id="new-token">(pa_[A-Za-z0-9_-]{43})</code>')


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_token_is_shown_once_stored_hashed_and_audited(cast: Cast) -> None:
    client = signed_in(cast.marketer)
    form = {"name": "CRM export", "workspace": cast.workspace.pk, "roles": [Role.MARKETER], "lifetime": "30"}
    page = client.post("/accounts/api-tokens/", form).content.decode()
    secret = SECRET.search(page)
    assert secret, page
    token = ApiToken.objects.get()
    assert token.token_hash == tokens.hash_of(secret.group(1)) and secret.group(1) not in str(token.__dict__)
    assert (token.name, token.roles, token.user) == ("CRM export", ["marketer"], cast.marketer)
    listed = client.get("/accounts/api-tokens/").content.decode()
    assert "CRM export" in listed and secret.group(1) not in listed and "never" in listed
    entry = AuditEntry.objects.get(action="api_token.created")
    assert secret.group(1) not in str(entry.after) and entry.workspace == cast.workspace


def test_a_token_cannot_carry_a_role_its_maker_lacks_there(cast: Cast) -> None:
    client = signed_in(cast.marketer)
    form = {"name": "too much", "workspace": cast.workspace.pk, "roles": [Role.REVIEWER], "lifetime": "30"}
    response = client.post("/accounts/api-tokens/", form)
    assert response.status_code == 400
    assert "A token can only have roles you hold in this workspace." in response.content.decode()
    foreign = {"name": "elsewhere", "workspace": cast.other_workspace.pk, "roles": [Role.MARKETER], "lifetime": "7"}
    assert client.post("/accounts/api-tokens/", foreign).status_code == 400
    assert not ApiToken.objects.exists()


def test_last_use_shows_and_revoking_is_for_the_owner_only(cast: Cast) -> None:
    made = tokens.create(
        cast.marketer,
        cast.workspace,
        name="nightly",
        roles=[Role.MARKETER],
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert Client().get("/api/v1/campaigns", HTTP_AUTHORIZATION=f"Bearer {made.secret}").status_code == 200
    page = signed_in(cast.marketer).get("/accounts/api-tokens/").content.decode()
    assert "never" not in page.split("nightly", 1)[1].split("</tr>", 1)[0]
    assert signed_in(cast.reviewer).post(f"/accounts/api-tokens/{made.token.pk}/revoke/").status_code == 404
    owner = signed_in(cast.marketer)
    assert owner.post(f"/accounts/api-tokens/{made.token.pk}/revoke/").status_code == 302
    assert Client().get("/api/v1/campaigns", HTTP_AUTHORIZATION=f"Bearer {made.secret}").status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoked", actor=cast.marketer).count() == 1
