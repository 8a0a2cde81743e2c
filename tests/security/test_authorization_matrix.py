"""Every URL pattern, every persona, every method: the answer is the one the view's decorators promise.

Personas: anonymous, each role of workspace A, and an outsider holding every role in workspace
B. Id-bearing URLs of workspace A are filled with real objects of workspace B (IDOR): the
answer must be 404 and the page must not show them. The same URLs filled with workspace A's
own objects must open for the roles allowed, which proves the 404 comes from the scoping.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client

from pushadmin.accounts.access import ALL_ROLES
from pushadmin.workspaces.models import Workspace
from tests.personas import Cast
from tests.security.site_map import (
    EVERY_METHOD,
    PUBLIC_ANSWERS,
    PUBLIC_URL_NAMES,
    Route,
    all_routes,
    concrete_path,
)
from tests.security.world import World, build_world

pytestmark = pytest.mark.django_db

FOREIGN_MARKER = "FOREIGNq7Zx"
ANONYMOUS = "anonymous"
OUTSIDER = "outsider"

# Non-workspace pages with a rule stricter than "signed-in people may open it".
SPECIAL = {
    # Creating workspaces is for installation administrators (staff), not a workspace's admin.
    ("workspaces:create", "marketer"): 403,
    ("workspaces:create", "reviewer"): 403,
    ("workspaces:create", "auditor"): 403,
    ("workspaces:create", "admin"): 403,
    ("workspaces:create", OUTSIDER): 403,
    # So is checking the whole audit chain, which spans every workspace.
    ("audit:installation_chain", "marketer"): 403,
    ("audit:installation_chain", "reviewer"): 403,
    ("audit:installation_chain", "auditor"): 403,
    ("audit:installation_chain", "admin"): 403,
    ("audit:installation_chain", OUTSIDER): 403,
    # A person revokes only their own API tokens; any other id is not found.
    **{("api_tokens:revoke", persona): 404 for persona in (*ALL_ROLES, OUTSIDER)},
    # A session opens nothing at /metrics: without a token configured it does not exist.
    **{("operations:metrics", persona): 404 for persona in (*ALL_ROLES, OUTSIDER)},
}


@dataclass
class Answer:
    persona: str
    method: str
    path: str
    status: int
    location: str
    leaked: bool


class Clients:
    """One signed-in client per person, replaced after a request that may have signed it out."""

    def __init__(self) -> None:
        self.cached: dict[str, Client] = {}

    def ask(self, user: Model | None, method: str, path: str, world: World) -> Answer:
        key = getattr(user, "username", ANONYMOUS)
        client = self.cached.get(key)
        if client is None:
            client = self.cached[key] = Client()
            if user is not None:
                client.force_login(user)
        answer = ask(client, key, method, path, world)
        if "logout" in path or "login" in path:
            del self.cached[key]
        return answer


def ask(client: Client, persona: str, method: str, path: str, world: World) -> Answer:
    response: HttpResponse = client.generic(method, path)
    body = response.content.decode(errors="replace") if not response.streaming else ""
    return Answer(persona, method, path, response.status_code, response.get("Location", ""), world.marker in body)


def methods_to_try(route: Route) -> tuple[str, ...]:
    accepted = route.methods or EVERY_METHOD
    return tuple(sorted({"GET", "POST", *accepted}))


def expected_for_workspace_route(route: Route, role: str, method: str) -> str:
    accepted = route.methods or EVERY_METHOD
    if method not in accepted:
        return "405"
    if role == OUTSIDER:
        return "404"
    if role not in (route.allowed_roles or ()):
        return "403"
    return "404" if route.object_kwargs else "opens"


def verdict(answer: Answer, expected: str) -> str | None:
    if answer.leaked:
        return f"{answer.persona} {answer.method} {answer.path} showed an object of another workspace"
    if expected == "login":
        ok = answer.status == 302 and "/login/" in answer.location
    elif expected == "opens":
        ok = answer.status < 500 and answer.status not in (403, 404, 405)
    elif expected == "admin-refused":
        # Non-staff are sent to sign in (or, from the admin's logout, back to its index) or refused.
        elsewhere = "/login/" in answer.location or answer.location.rstrip("/").endswith("/django-admin")
        ok = answer.status in (403, 405) or (answer.status == 302 and elsewhere)
    else:
        ok = answer.status == int(expected)
    return None if ok else f"{answer.persona} {answer.method} {answer.path}: expected {expected}, got {answer.status}"


@pytest.fixture
def worlds(cast: Cast) -> tuple[World, World]:
    own = build_world(cast.workspace, cast.marketer, "OWNp3Lm")
    foreign = build_world(cast.other_workspace, cast.outsider, FOREIGN_MARKER)
    return own, foreign


def snapshot(workspace: Workspace, world: World) -> dict[str, object]:
    return {
        # The outsider signing in updates their own last_login; nothing else of B may change.
        key: {
            field.name: getattr(obj, field.attname) for field in obj._meta.concrete_fields if field.name != "last_login"
        }
        for key, obj in world.objects.items()
        if obj is not None
        for obj in [type(obj)._default_manager.filter(pk=obj.pk).first()]
    }


def test_every_url_pattern_answers_every_persona_as_its_decorators_promise(
    cast: Cast, worlds: tuple[World, World]
) -> None:
    own, foreign = worlds
    personas: dict[str, Model | None] = {ANONYMOUS: None, **cast.by_role(), OUTSIDER: cast.outsider}
    routes = all_routes()
    before = snapshot(cast.other_workspace, foreign)
    problems: list[str] = []
    covered: set[Route] = set()
    missing_ids: set[str] = set()
    clients = Clients()

    for route in routes:
        if route.in_admin_site:
            # The admin site treats every non-staff person alike: anonymous and the most privileged role suffice.
            for user in (None, cast.admin):
                for method in ("GET", "POST"):
                    answer = clients.ask(user, method, concrete_path(route, cast.workspace.pk), foreign)
                    problems.append(verdict(answer, "admin-refused"))
            covered.add(route)
            continue
        if route.methods is None:
            problems.append(f"{route} declares no require_* method decorator")
        if route.in_workspace and not route.allowed_roles:
            problems.append(f"{route} is under /w/ but not wrapped in workspace_view")
        missing_ids.update(name for name in route.object_kwargs if foreign.object_for(name) is None)
        foreign_path = concrete_path(route, cast.workspace.pk, foreign.ids_for(route))
        for persona, user in personas.items():
            for method in methods_to_try(route):
                answer = clients.ask(user, method, foreign_path, foreign)
                if persona == ANONYMOUS:
                    accepted = method in (route.methods or EVERY_METHOD)
                    public = str(PUBLIC_ANSWERS.get(route.name, 200))
                    expected = (public if accepted else "405") if route.name in PUBLIC_URL_NAMES else "login"
                elif route.in_workspace:
                    expected = expected_for_workspace_route(route, persona, method)
                elif method not in (route.methods or EVERY_METHOD):
                    expected = "405"
                else:
                    expected = str(SPECIAL.get((route.name, persona), "opens"))
                problems.append(verdict(answer, expected))
        if route.in_workspace and route.object_kwargs and "GET" in (route.methods or EVERY_METHOD):
            own_path = concrete_path(route, cast.workspace.pk, own.ids_for(route))
            for role in route.allowed_roles or ():
                answer = clients.ask(cast.by_role()[role], "GET", own_path, foreign)
                if not missing_ids.intersection(route.object_kwargs):
                    problems.append(verdict(answer, "opens"))
        covered.add(route)

    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)
    assert len(covered) == len(routes), "some URL patterns were not requested"
    assert snapshot(cast.other_workspace, foreign) == before, "requests into workspace A changed workspace B"
    assert set(ALL_ROLES) == set(cast.by_role())


def test_the_django_admin_opens_for_staff_only(cast: Cast) -> None:
    staff = get_user_model().objects.create_superuser("sam.staff", password="a long staff passphrase 1")
    client = Client()
    client.force_login(staff)
    assert client.get("/django-admin/").status_code == 200
    client.force_login(cast.admin)
    assert client.get("/django-admin/").status_code == 302


def test_state_changes_need_the_csrf_token(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    response = client.post(f"/w/{cast.workspace.pk}/members/", {"email": "nia@example.com", "role": "reviewer"})
    assert response.status_code == 403


def test_staff_can_remove_a_lost_authenticator_but_never_read_its_key(cast: Cast) -> None:
    from pushadmin.accounts import two_factor

    device = two_factor.pending_device(cast.reviewer)
    device.confirmed = True
    device.save()
    staff = get_user_model().objects.create_superuser("sam.staff", password="a long staff passphrase 1")
    client = Client()
    client.force_login(staff)
    page = client.get(f"/django-admin/accounts/totpauthenticator/{device.pk}/change/").content.decode()
    assert device.key_encrypted not in page and two_factor.base32_key(device) not in page
    assert device.bin_key.hex() not in page
    assert client.get("/django-admin/accounts/totpauthenticator/add/").status_code == 403
    assert client.get(f"/django-admin/accounts/totpauthenticator/{device.pk}/delete/").status_code == 200


def test_the_people_pages_are_for_workspace_admins_and_only_the_invitation_link_is_public() -> None:
    routes = {route.name: route for route in all_routes()}
    admin_only = ["members", "revoke_invitation", "remove_member", "remove_person", "member_sessions", "end_session"]
    for name in admin_only:
        assert routes[f"accounts:{name}"].allowed_roles == ("admin",), name
    for name in ("accounts:recovery_codes", "accounts:two_factor_recover"):
        assert name in routes and name not in PUBLIC_URL_NAMES
    assert {"accounts:invitation", "accounts:accept_invitation"} <= PUBLIC_URL_NAMES
