"""Navigation that shows each person only what their roles in the current workspace allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pushadmin.accounts.access import SESSION_WORKSPACE_KEY
from pushadmin.accounts.models import Role, roles_in, workspaces_of


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...]


# Apps add their pages here; an entry whose URL does not exist yet is left out.
NAVIGATION: list[NavItem] = [
    NavItem(_("Dashboard"), "console:dashboard", tuple(Role.values)),
    NavItem(_("Templates"), "campaigns:template_list", (Role.MARKETER, Role.REVIEWER, Role.AUDITOR)),
    NavItem(_("Audiences"), "audiences:list", (Role.MARKETER, Role.AUDITOR)),
    NavItem(_("Campaigns"), "campaigns:list", (Role.MARKETER, Role.REVIEWER, Role.AUDITOR)),
    NavItem(_("Analytics"), "analytics:workspace", (Role.MARKETER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN)),
    NavItem(_("Review queue"), "reviews:queue", (Role.REVIEWER,)),
    NavItem(_("Suppression list"), "safety:suppressions", tuple(Role.values)),
    NavItem(_("History"), "audit:history", (Role.AUDITOR, Role.ADMIN)),
    NavItem(_("Audit trail"), "audit:trail", (Role.AUDITOR, Role.ADMIN)),
    NavItem(_("Members"), "accounts:members", (Role.ADMIN,)),
    NavItem(_("Settings"), "workspaces:edit", (Role.ADMIN,)),
    NavItem(_("Webhooks"), "webhooks:list", (Role.ADMIN,)),
]


def _links(workspace_id: int, roles: set[str], path: str) -> list[dict[str, Any]]:
    links = []
    for item in NAVIGATION:
        if not roles.intersection(item.roles):
            continue
        try:
            url = reverse(item.url_name, kwargs={"workspace_id": workspace_id})
        except NoReverseMatch:
            continue
        current = path == url if item.url_name == "console:dashboard" else path.startswith(url)
        links.append({"label": item.label, "url": url, "current": current})
    return links


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    workspaces = list(workspaces_of(user))
    current = getattr(request, "workspace", None)
    if current is None:
        wanted = request.session.get(SESSION_WORKSPACE_KEY)
        current = next((ws for ws in workspaces if ws.pk == wanted), workspaces[0] if workspaces else None)
    roles = getattr(request, "roles", None) or (roles_in(user, current) if current else set())
    return {
        "nav_workspaces": workspaces,
        "nav_workspace": current,
        "nav_roles": sorted(str(Role(role).label) for role in roles),
        "nav_role_values": sorted(roles),
        "nav_links": _links(current.pk, roles, request.path) if current else [],
    }
