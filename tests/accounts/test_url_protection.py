"""Walk the URLconf: every page needs a login, and workspace pages check membership and role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from pushadmin.accounts.access import ALL_ROLES
from tests.personas import Cast

PUBLIC_URL_NAMES = {"accounts:login"}
ADMIN_SITE_PREFIX = "django-admin/"


def walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), space or "")
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry


def project_patterns() -> list[tuple[str, str, URLPattern]]:
    return [row for row in walk(get_resolver().url_patterns) if not row[0].startswith(ADMIN_SITE_PREFIX)]


def concrete_path(route: str, workspace_id: int) -> str:
    """Fill route converters: the workspace id given, any other id one that does not exist."""
    import re

    path = route.replace("<int:workspace_id>", str(workspace_id))
    path = re.sub(r"<int:\w+>", "999999", path)
    path = re.sub(r"<(?:str|slug):\w+>", "nothing", path)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", path)
    path = re.sub(r"<path:\w+>", "nothing", path)
    return "/" + path.lstrip("^").rstrip("$")


def allowed_roles(pattern: URLPattern) -> tuple[str, ...] | None:
    return getattr(pattern.callback, "allowed_roles", None)


def test_the_walk_finds_the_project_pages() -> None:
    names = {name for _, name, _ in project_patterns()}
    assert {"accounts:login", "console:home", "console:dashboard", "workspaces:edit", "accounts:members"} <= names


@pytest.mark.django_db
def test_every_page_but_login_requires_a_logged_in_user(cast: Cast) -> None:
    client = Client()
    for route, name, _ in project_patterns():
        path = concrete_path(route, cast.workspace.pk)
        response = client.get(path)
        if name in PUBLIC_URL_NAMES:
            assert response.status_code == 200, path
            continue
        assert response.status_code == 302, f"{name} answered {response.status_code} to an anonymous GET"
        assert response["Location"].startswith("/accounts/login/"), name


@pytest.mark.django_db
def test_workspace_pages_answer_404_to_people_outside_the_workspace(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.outsider)
    workspace_routes = [row for row in project_patterns() if "<int:workspace_id>" in row[0]]
    assert workspace_routes
    for route, name, _ in workspace_routes:
        response = client.get(concrete_path(route, cast.workspace.pk))
        assert response.status_code in (404, 405), f"{name} leaked to an outsider: {response.status_code}"


@pytest.mark.django_db
def test_every_workspace_page_declares_its_roles_and_refuses_the_others(cast: Cast) -> None:
    for route, name, pattern in project_patterns():
        if "<int:workspace_id>" not in route:
            continue
        roles = allowed_roles(pattern)
        assert roles, f"{name} is not wrapped in workspace_view"
        for role, user in cast.by_role().items():
            client = Client()
            client.force_login(user)
            status = client.get(concrete_path(route, cast.workspace.pk)).status_code
            if role in roles:
                assert status != 403, f"{name} refused {role}, which it allows"
            else:
                assert status in (403, 405), f"{name} let {role} in ({status}); it allows only {roles}"
    assert set(ALL_ROLES) == {"marketer", "reviewer", "auditor", "admin"}
