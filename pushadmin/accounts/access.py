"""Workspace scoping for views: non-members get 404, members without the role get 403.

Every workspace page lives under /w/<workspace_id>/ and is wrapped in `workspace_view`,
which sets `request.workspace` and `request.roles` before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from pushadmin.accounts.models import Role, roles_in
from pushadmin.workspaces.models import Workspace

View = Callable[..., HttpResponse]
ALL_ROLES = tuple(Role.values)
SESSION_WORKSPACE_KEY = "workspace_id"
M = TypeVar("M", bound=Model)


def workspace_view(*allowed_roles: str) -> Callable[[View], View]:
    """Resolve `workspace_id` from the URL and require one of `allowed_roles` in it."""
    unknown = set(allowed_roles) - set(ALL_ROLES)
    if unknown or not allowed_roles:
        raise ValueError(f"workspace_view needs known roles, got {allowed_roles!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, workspace_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            workspace = Workspace.objects.filter(pk=workspace_id).first()
            roles = roles_in(request.user, workspace) if workspace else set()
            if not roles:
                raise Http404("No such workspace")
            if not roles.intersection(allowed_roles):
                raise PermissionDenied("Your role in this workspace does not allow this page.")
            request.workspace = workspace  # type: ignore[attr-defined]
            request.roles = roles  # type: ignore[attr-defined]
            request.session[SESSION_WORKSPACE_KEY] = workspace.pk
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed_roles  # type: ignore[attr-defined]
        return wrapper

    return decorate


def get_in_workspace(request: HttpRequest, model: type[M] | QuerySet[M], **lookup: Any) -> M:
    """Fetch one object of the current workspace, or 404 (never another workspace's)."""
    queryset = model if isinstance(model, QuerySet) else model._default_manager.all()
    return get_object_or_404(queryset, workspace=request.workspace, **lookup)  # type: ignore[attr-defined]
