"""Every API route, by every role and from a foreign workspace, read from the OpenAPI document itself.

Each operation documents the roles it allows (`x-roles`); a token with only another role is
refused with 403, one with an allowed role gets past the check, a token of another workspace
finds nothing of this one (404, or lists without its items), and without a live token every
route answers 401. A route added later is covered without touching this test.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from pushadmin.accounts.models import Membership, Role
from pushadmin.api import tokens
from pushadmin.api.models import ApiToken
from pushadmin.audiences.models import Audience
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, Template
from pushadmin.safety.models import Suppression
from tests.api.api_client import Api, openapi_document, token_for
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROLES = [Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN]


def operations(document: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found.append((method.upper(), path.removeprefix("/api/v1"), operation["x-roles"]))
    return found


def concrete(path: str, ids: dict[str, int]) -> str:
    names = re.findall(r"{(\w+)}", path)
    unknown = set(names) - set(ids)
    assert not unknown, f"the matrix has no object for {unknown} (add one)"
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)


def own_items(workspace: Any, path: str) -> set[Any]:
    """What a list route would show of `workspace`: ids, or audit entries' hashes."""
    lists: dict[str, Any] = {
        "/campaigns": Campaign.objects.filter(workspace=workspace).values_list("pk", flat=True),
        "/templates": Template.objects.filter(workspace=workspace).values_list("pk", flat=True),
        "/audiences": Audience.objects.filter(workspace=workspace).values_list("pk", flat=True),
        "/audit": AuditEntry.objects.filter(workspace=workspace).values_list("hash", flat=True),
        "/suppressions": Suppression.objects.filter(workspace=workspace).values_list("pk", flat=True),
    }
    assert path in lists, f"the matrix does not know what {path} lists (add it)"
    found = set(lists[path])
    assert found, f"nothing of this workspace for {path} to leak: the check would prove nothing"
    return found


def test_every_route_allows_exactly_its_roles_and_nothing_of_another_workspace(
    cast: Cast, live_server: Any, mpaas_sandbox: Any
) -> None:
    workspace = cast.workspace
    workspace.endpoint_url = mpaas_sandbox.url
    workspace.save()
    campaign = make_campaign(workspace, cast.marketer)
    audience = Audience.objects.create(workspace=workspace, name="Matrix list", created_by=cast.marketer)
    suppression = Suppression.objects.create(workspace=workspace, target="matrix-opted-out", reason="opted_out")
    ids = {
        "campaign_id": campaign.pk,
        "template_id": campaign.template_id,
        "audience_id": audience.pk,
        "suppression_id": suppression.pk,
    }
    document = openapi_document(live_server.url)
    routes = operations(document)
    assert len(routes) >= 23
    outsider = Api(
        live_server.url,
        token_for(cast.outsider, cast.other_workspace, Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN),
        document,
    )
    anonymous = Api(live_server.url, "", document)
    users = cast.by_role()
    clients = {role: Api(live_server.url, token_for(users[role], workspace, role), document) for role in ROLES}

    for method, path, allowed in routes:
        url = concrete(path, ids)
        body = {"json": {}} if method == "POST" else {}
        for role in ROLES:
            answer = clients[role].call(method, url, **body)
            if role in allowed:
                assert answer.status_code not in (401, 403), f"{role} refused on {method} {path}: {answer.text}"
            else:
                assert answer.status_code == 403, f"{role} let through on {method} {path}: {answer.status_code}"
                assert answer.headers["Content-Type"] == "application/problem+json"
        if "{" in path:
            # A body valid for every route's schema, so the lookup is what answers.
            valid = {"json": {"revision": 1, "fingerprint": "f" * 64, "reason": "no"}} if method == "POST" else {}
            foreign = outsider.call(method, url, **valid)
            assert foreign.status_code == 404, f"another workspace reached {method} {path}: {foreign.status_code}"
        elif method == "POST":
            # Creating elsewhere with this workspace's objects named in the body changes nothing here.
            before = (
                Campaign.objects.filter(workspace=workspace).count(),
                Template.objects.filter(workspace=workspace).count(),
            )
            naming_ours = {"name": "foreign", "template_id": campaign.template_id, "title": "t", "content": "c"}
            foreign = outsider.call(method, url, json=naming_ours)
            assert foreign.status_code in (201, 422), f"{method} {path}: {foreign.status_code}"
            after = (
                Campaign.objects.filter(workspace=workspace).count(),
                Template.objects.filter(workspace=workspace).count(),
            )
            assert after == before
        else:
            foreign = outsider.call(method, url)
            items = foreign.json()
            items = items["items"] if isinstance(items, dict) and "items" in items else items
            assert isinstance(items, list), f"{method} {path}: {foreign.status_code} {foreign.text}"
            ours = own_items(workspace, path)
            assert not [i for i in items if (i.get("hash") or i.get("id")) in ours], f"{method} {path} leaks"
        assert anonymous.call(method, url, **body).status_code == 401


def test_revoked_expired_and_former_members_tokens_are_refused(cast: Cast, live_server: Any) -> None:
    document = openapi_document(live_server.url)
    live = Api(live_server.url, token_for(cast.marketer, cast.workspace, Role.MARKETER), document)
    assert live.get("/campaigns").status_code == 200

    revoked_secret = token_for(cast.marketer, cast.workspace, Role.MARKETER)
    revoked = ApiToken.objects.get(token_hash=tokens.hash_of(revoked_secret))
    assert tokens.revoke(revoked, user=cast.marketer)
    assert Api(live_server.url, revoked_secret, document).get("/campaigns").status_code == 401

    expired_secret = token_for(cast.auditor, cast.workspace, Role.AUDITOR)
    ApiToken.objects.filter(token_hash=tokens.hash_of(expired_secret)).update(expires_at=timezone.now())
    assert Api(live_server.url, expired_secret, document).get("/audit").status_code == 401

    # Leaving the workspace silences the person's tokens at once.
    Membership.objects.filter(user=cast.marketer, workspace=cast.workspace).delete()
    refused = live.get("/campaigns")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_cannot_hold_a_role_its_maker_lacks(cast: Cast) -> None:
    with pytest.raises(tokens.TokenRefused, match="only have roles you hold"):
        tokens.create(
            cast.marketer,
            cast.workspace,
            name="sneaky",
            roles=[Role.MARKETER, Role.REVIEWER],
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert not ApiToken.objects.exists()


def test_each_token_has_its_own_rate_limit(cast: Cast, live_server: Any) -> None:
    document = openapi_document(live_server.url)
    busy = Api(live_server.url, token_for(cast.marketer, cast.workspace, Role.MARKETER), document)
    calm = Api(live_server.url, token_for(cast.marketer, cast.workspace, Role.MARKETER), document)
    with override_settings(PUSHADMIN_API_CALLS_PER_MINUTE=3):
        assert [busy.get("/campaigns").status_code for _ in range(3)] == [200, 200, 200]
        limited = busy.get("/campaigns")
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "made 3 calls in the last minute" in limited.json()["detail"]
        assert calm.get("/campaigns").status_code == 200
