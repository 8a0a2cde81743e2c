"""Every URL pattern of the project, with the methods and roles its view declares.

Tests in this package walk it so that pages added later are covered without editing them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_SITE_PREFIX = "django-admin/"
PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:invitation",
    "accounts:accept_invitation",
    "accounts:preferences",  # the language chosen on the sign-in page, before anyone is signed in
    "operations:healthz",
    "operations:readyz",
    "operations:metrics",
    "api:openapi-json",
    "api:openapi-view",
}
# The token-authenticated API answers JSON to programs, never a session: tests/api walks each of
# its routes from the OpenAPI document (roles, foreign workspace, no token) and fuzzes them all.
TOKEN_API_PREFIX = "api/v1/"
# Public pages that answer something else than 200 to a plain GET: /metrics does not exist
# until PUSHADMIN_METRICS_TOKEN is set (and then asks for that token, never a session).
PUBLIC_ANSWERS = {"operations:metrics": 404, "accounts:preferences": 302}
EVERY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 999_999


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    callback: Callable[..., Any]

    @property
    def in_admin_site(self) -> bool:
        return self.route.startswith(ADMIN_SITE_PREFIX)

    @property
    def in_workspace(self) -> bool:
        return "<int:workspace_id>" in self.route

    @property
    def object_kwargs(self) -> list[str]:
        return [name for name in re.findall(r"<(?:\w+:)?(\w+)>", self.route) if name != "workspace_id"]

    @property
    def allowed_roles(self) -> tuple[str, ...] | None:
        return _find_attribute(self.callback, "allowed_roles")

    @property
    def methods(self) -> tuple[str, ...] | None:
        """The methods the view's require_* decorator accepts; None when it declares none."""
        view_class = getattr(self.callback, "view_class", None)
        if view_class is not None:
            return tuple(
                method.upper()
                for method in view_class.http_method_names
                if hasattr(view_class, method) and method not in ("options", "head")
            )
        listed = _find_closure_value(self.callback, "request_method_list")
        return tuple(method for method in listed if method != "HEAD") if listed else None

    def __str__(self) -> str:
        return self.name or self.route


def _unwrapped(callback: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    seen = 0
    while callback is not None and seen < 20:
        yield callback
        callback = getattr(callback, "__wrapped__", None)
        seen += 1


def _find_attribute(callback: Callable[..., Any], name: str) -> Any:
    for layer in _unwrapped(callback):
        if hasattr(layer, name):
            return getattr(layer, name)
    return None


def _find_closure_value(callback: Callable[..., Any], name: str) -> Any:
    for layer in _unwrapped(callback):
        code, closure = getattr(layer, "__code__", None), getattr(layer, "__closure__", None)
        if code is not None and closure and name in code.co_freevars:
            return closure[code.co_freevars.index(name)].cell_contents
    return None


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space or "")
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield Route(prefix + str(entry.pattern), name, entry.callback)


def all_routes() -> list[Route]:
    routes = _walk(get_resolver().url_patterns)
    return [r for r in routes if not r.route.startswith(TOKEN_API_PREFIX) or r.name in PUBLIC_URL_NAMES]


def concrete_path(route: Route, workspace_id: int, ids: Mapping[str, int | str] | None = None) -> str:
    """Fill the route's parameters: the workspace given, objects from `ids`, else values that exist nowhere."""
    ids = ids or {}

    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name == "workspace_id":
            return str(workspace_id)
        if name in ids:
            return str(ids[name])
        return {"int": str(MISSING_ID), "uuid": "00000000-0000-0000-0000-000000000000"}.get(converter, "nothing")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route.route)
    # The admin's few regex patterns: an app label list and a catch-all.
    path = re.sub(r"\(\?P<app_label>([a-z_]+)[^)]*\)", r"\1", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "nothing/", path)
    return "/" + path.replace("^", "").replace("$", "")
