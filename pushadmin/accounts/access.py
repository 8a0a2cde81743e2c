"""Workspace scoping for views: non-members get 404, members without the role get 403.

Every workspace page lives under /w/<workspace_id>/ and is wrapped in `workspace_view`,
which sets `request.workspace` and `request.roles` before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from pushadmin.accounts.models import Role, roles_in
from pushadmin.accounts.requests import AuthenticatedRequest, WorkspaceRequest
from pushadmin.workspaces.models import Workspace

View = Callable[..., HttpResponseBase]
ALL_ROLES = tuple(Role.values)
SESSION_WORKSPACE_KEY = "workspace_id"
M = TypeVar("M", bound=Model)


class RoleCheckedView(Protocol):
    """A view wrapped by `workspace_view`; `allowed_roles` lets tests map who may open it."""

    allowed_roles: tuple[str, ...]
    __name__: str

    def __call__(
        self, request: AuthenticatedRequest, workspace_id: int, *args: Any, **kwargs: Any
    ) -> HttpResponseBase: ...


def workspace_view(*allowed_roles: str) -> Callable[[View], RoleCheckedView]:
    """Resolve `workspace_id` from the URL and require one of `allowed_roles` in it."""
    unknown = set(allowed_roles) - set(ALL_ROLES)
    if unknown or not allowed_roles:
        raise ValueError(f"workspace_view needs known roles, got {allowed_roles!r}")

    def decorate(view: View) -> RoleCheckedView:
        @wraps(view)
        def wrapper(request: AuthenticatedRequest, workspace_id: int, *args: Any, **kwargs: Any) -> HttpResponseBase:
            workspace = Workspace.objects.filter(pk=workspace_id).first()
            roles = roles_in(request.user, workspace) if workspace else set()
            if workspace is None or not roles:
                raise Http404("No such workspace")
            if not roles.intersection(allowed_roles):
                raise PermissionDenied("Your role in this workspace does not allow this page.")
            workspace_request = cast(WorkspaceRequest, request)
            workspace_request.workspace = workspace
            workspace_request.roles = roles
            request.session[SESSION_WORKSPACE_KEY] = workspace.pk
            return view(workspace_request, *args, **kwargs)

        role_checked = cast(RoleCheckedView, wrapper)
        role_checked.allowed_roles = allowed_roles
        return role_checked

    return decorate


def is_installation_admin(user: Any) -> bool:
    """Django staff or superuser: runs the installation, unlike a workspace's admins."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def installation_admin_view(view: View) -> View:
    """Only installation administrators; a workspace admin is not one."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_installation_admin(request.user):
            raise PermissionDenied("Only installation administrators can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def get_in_workspace(request: WorkspaceRequest, model: type[M] | QuerySet[M], **lookup: Any) -> M:
    """Fetch one object of the current workspace, or 404 (never another workspace's)."""
    queryset = model if isinstance(model, QuerySet) else model._default_manager.all()
    return get_object_or_404(queryset, workspace=request.workspace, **lookup)
