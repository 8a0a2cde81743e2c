"""Bearer-token authentication and the role each API route requires.

`allow(Role.MARKETER)` gives a route its authentication (a live token whose roles include one
of those named, counted against the token's rate limit) and documents the roles in the OpenAPI
document as `x-roles`, which the authorization-matrix test reads: one list, used twice.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.api import tokens
from pushadmin.api.models import ApiToken
from pushadmin.api.problems import Problem


class TokenRequest(WorkspaceRequest):
    """A request past `TokenAuth`: the token's owner, workspace and effective roles."""

    api_token: ApiToken


class TokenAuth(HttpBearer):
    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__()
        self.roles = roles

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.find(token)
        if found is None:
            return None
        tokens.take_call(found)
        roles = tokens.effective_roles(found)
        if not roles:
            return None  # no longer a member: the token speaks for nobody
        if not roles.intersection(self.roles):
            names = " or ".join(self.roles)
            raise Problem(403, f"This needs a token with the {names} role in its workspace.")
        # The same attributes a workspace page sees, so the pages' actions serve the API unchanged.
        scoped = cast(TokenRequest, request)
        scoped.user = found.user
        scoped.workspace = found.workspace
        scoped.roles = roles
        scoped.api_token = found
        return found


def allow(*roles: str) -> dict[str, Any]:
    """Route keyword arguments: token authentication for `roles`, documented as x-roles."""
    return {"auth": TokenAuth(tuple(roles)), "openapi_extra": {"x-roles": [str(role) for role in roles]}}


def scoped(request: HttpRequest) -> TokenRequest:
    return cast(TokenRequest, request)
